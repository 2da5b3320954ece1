import { useEffect, useState } from "react";

const GITHUB_TOKEN = "ghp_FAKEbench7Qk2LmN9xR4tV6wY8zA1cE3gH5j"; // expect: CWE-798

export default function RepoList({ org }) {
  const [repos, setRepos] = useState([]);

  useEffect(() => {
    fetch(`https://api.github.com/orgs/${org}/repos?per_page=20`, {
      headers: { Authorization: `Bearer ${GITHUB_TOKEN}` },
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
