import { useEffect, useState } from "react";


export default function RepoList({ org }) {
  const [repos, setRepos] = useState([]);

  useEffect(() => {
    fetch(`/api/github/orgs/${encodeURIComponent(org)}/repos?per_page=20`, {
      credentials: "same-origin",
    })
      .then((r) => r.json())
      .then(setRepos);
  }, [org]);

  return (
    <ul>
      {repos.map((r) => (
        <li key={r.id}>{r.full_name}</li>
      ))}
    </ul>
  );
}
