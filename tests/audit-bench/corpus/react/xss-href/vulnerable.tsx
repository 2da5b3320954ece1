type Profile = { name: string; website: string; bio: string };

function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : "#";
  } catch {
    return "#";
  }
}

export function ProfileCard({ profile }: { profile: Profile }) {
  const website = profile.website;
  return (
    <div className="profile-card">
      <h2>{profile.name}</h2>
      <p>{profile.bio}</p>
      <a href={website} rel="noopener noreferrer" target="_blank"> {/* expect: CWE-79 */}
        Website
      </a>
    </div>
  );
}
