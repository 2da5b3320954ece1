import { useState } from "react";
import { useSearchParams } from "react-router-dom";
import { login } from "./api";

export default function LoginPage() {
  const [params] = useSearchParams();
  const [error, setError] = useState(null);

  async function onSubmit(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    const ok = await login(form.get("email"), form.get("password"));
    if (!ok) {
      setError("Invalid email or password");
      return;
    }
    const next = params.get("next") || "/";
    window.location.href = next; // expect: CWE-601
  }

  return (
    <form onSubmit={onSubmit}>
      <input name="email" type="email" required />
      <input name="password" type="password" required />
      {error && <p role="alert">{error}</p>}
      <button type="submit">Sign in</button>
    </form>
  );
}
