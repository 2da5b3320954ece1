import { useEffect, useRef } from "react";
import { useSearchParams } from "react-router-dom";

export function SearchBanner() {
  const [params] = useSearchParams();
  const bannerRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const query = params.get("q") ?? "";
    const label = query.trim();
    const markup = `<span class="label">Showing results for</span> <em></em>`;
    if (bannerRef.current) {
      bannerRef.current.innerHTML = markup;
      bannerRef.current.querySelector("em")!.textContent = label;
    }
  }, [params]);

  return <div className="search-banner" ref={bannerRef} />;
}
