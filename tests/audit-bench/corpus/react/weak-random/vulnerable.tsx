const AUTHORIZE_URL = "https://auth.example.com/oauth/authorize";

function randomState(): string {
  return Math.random().toString(36).substring(2, 15) + Math.random().toString(36).substring(2, 15); // expect: CWE-330
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
