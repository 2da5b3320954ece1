// Encrypts customers' third-party API keys before they are stored.
const crypto = require("crypto");

const KEY = Buffer.from(process.env.INTEGRATIONS_KEY, "base64"); // 32 bytes

function encryptSecret(plaintext) {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", KEY, iv);
  const encrypted = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return `${iv.toString("base64")}:${cipher.getAuthTag().toString("base64")}:${encrypted.toString("base64")}`;
}

function decryptSecret(stored) {
  const [ivB64, tagB64, dataB64] = stored.split(":");
  const decipher = crypto.createDecipheriv("aes-256-gcm", KEY, Buffer.from(ivB64, "base64"));
  decipher.setAuthTag(Buffer.from(tagB64, "base64"));
  return Buffer.concat([decipher.update(Buffer.from(dataB64, "base64")), decipher.final()]).toString("utf8");
}

async function saveIntegration(db, accountId, provider, apiKey) {
  await db.query(
    "INSERT INTO integrations (account_id, provider, api_key_enc) VALUES ($1, $2, $3) ON CONFLICT (account_id, provider) DO UPDATE SET api_key_enc = EXCLUDED.api_key_enc",
    [accountId, provider, encryptSecret(apiKey)],
  );
}

async function loadIntegrationKey(db, accountId, provider) {
  const { rows } = await db.query("SELECT api_key_enc FROM integrations WHERE account_id = $1 AND provider = $2", [accountId, provider]);
  return rows.length ? decryptSecret(rows[0].api_key_enc) : null;
}

module.exports = { encryptSecret, decryptSecret, saveIntegration, loadIntegrationKey };
