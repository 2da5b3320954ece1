import { useEffect, useRef } from "react";
import { useSearchParams } from "react-router-dom";

export function SearchBanner() {
  const [params] = useSearchParams();
  const bannerRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const query = params.get("q") ?? "";
    const label = query.trim();
    const markup = `<span class="label">Showing results for</span> <em>${label}</em>`;
    if (bannerRef.current) {
      bannerRef.current.innerHTML = markup; // expect: CWE-79
    }
  }, [params]);

  return <div className="search-banner" ref={bannerRef} />;
}
