// What the browser tests share: the server's binary and database, two-factor codes, and a new
// administrator's first sign-in (every administrator must set up two-factor sign-in).
const { expect } = require('@playwright/test');
const { execFileSync } = require('child_process');
const crypto = require('crypto');
const path = require('path');

const bin = process.env.MAMORI_BIN || path.join(__dirname, '..', '..', 'target', 'debug', 'mamori');
const db = path.join(process.env.MAMORI_E2E_DIR, 'e2e.db');

function base32Decode(str) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of str) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

// The current TOTP code of a base32 secret (RFC 6238, SHA-1, 30 s, 6 digits).
function totp(secret) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const h = crypto.createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const o = h[h.length - 1] & 0x0f;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

// A new administrator signs in and sets up two-factor sign-in.
async function firstSignIn(page, login, password) {
  await page.goto('/login');
  await page.fill('#login', login);
  await page.fill('#password', password);
  await page.getByRole('button', { name: 'ログイン' }).click();
  await expect(page).toHaveURL(/\/account\/totp$/);
  const secret = (await page.locator('#totp-secret').textContent()).trim();
  await page.fill('#code', totp(secret));
  await page.getByRole('button', { name: '確認して有効にする' }).click();
  await expect(page.getByText('設定が完了しました')).toBeVisible();
}

// An organisation and its first administrator, made with `mamori org create` on the server's database.
function createOrgByCli(kind, name, admin, password) {
  execFileSync(bin, ['org', 'create', '--db', db, '--kind', kind, '--name', name, '--admin', admin,
    '--password-stdin'], { input: `${password}\n` });
}

module.exports = { bin, db, totp, firstSignIn, createOrgByCli };
