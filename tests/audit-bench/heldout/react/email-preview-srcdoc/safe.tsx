import { useEffect, useState } from "react";
import { useParams } from "react-router-dom";

type Email = { id: string; from: string; subject: string; receivedAt: string; html: string };

export default function EmailView() {
  const { id } = useParams<{ id: string }>();
  const [email, setEmail] = useState<Email | null>(null);

  useEffect(() => {
    fetch(`/api/inbox/${id}`, { credentials: "include" })
      .then((r) => r.json())
      .then(setEmail);
  }, [id]);

  if (!email) return <p>Loading…</p>;

  return (
    <div className="email">
      <header>
        <h1>{email.subject}</h1>
        <p>
          From <strong>{email.from}</strong> · {new Date(email.receivedAt).toLocaleString()}
        </p>
      </header>
      <iframe
        title="Message body"
        className="email-body"
        sandbox=""
        srcDoc={email.html}
        style={{ width: "100%", minHeight: 480, border: 0 }}
      />
    </div>
  );
}
