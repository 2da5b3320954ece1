const AUTHORIZE_URL = "https://auth.example.com/oauth/authorize";

function randomState(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function LoginWithProvider({ clientId }: { clientId: string }) {
  function start() {
    const state = randomState();
    sessionStorage.setItem("oauth_state", state);
    const url = `${AUTHORIZE_URL}?client_id=${encodeURIComponent(clientId)}&response_type=code&state=${state}`;
    window.location.assign(url);
  }

  return (
    <button type="button" onClick={start}>
      Continue with Example ID
    </button>
  );
}
