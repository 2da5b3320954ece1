import { useEffect } from "react";

export default function PrintInvoice({ invoice }) {
  useEffect(() => {
    const params = new URLSearchParams(window.location.search);
    const note = params.get("note") || "";
    const win = window.open("", "_blank");
    win.document.write(`<html><body><h1>Invoice ${invoice.number}</h1><p>${note}</p></body></html>`); // expect: CWE-79
    win.document.close();
    win.print();
  }, [invoice]);

  return <p>Preparing your invoice for printing…</p>;
}
