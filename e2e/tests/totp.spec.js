// Two-factor sign-in in the browser: enrol TOTP, sign out, sign in with password + code; a replayed code
// is refused. Runs after checklist.spec.js on the same server (the clinic is already set up).
const { test, expect } = require('@playwright/test');
const crypto = require('crypto');

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of s) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

function totp(secret, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = crypto.createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const o = h[h.length - 1] & 0x0f;
  const bin = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(bin % 1_000_000).padStart(6, '0');
}

const step = () => Math.floor(Date.now() / 1000 / 30);

async function login(page, code) {
  await page.goto('/login');
  await page.fill('#login', 'yamada');
  await page.fill('#password', 'Midori#2025');
  await page.fill('#code', code);
  await page.getByRole('button', { name: 'ログイン' }).click();
}

test('enrol TOTP, sign in with password and code, replay refused', async ({ page }) => {
  test.setTimeout(120_000);
  await login(page, '');
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.getByRole('link', { name: '二要素認証', exact: true }).click();
  await expect(page.locator('img.qr')).toBeVisible();
  const secret = (await page.locator('#totp-secret').textContent()).trim();
  const enrolStep = step();
  await page.fill('#code', totp(secret, enrolStep));
  await page.getByRole('button', { name: '確認して有効にする' }).click();
  await expect(page.getByText('設定が完了しました')).toBeVisible();
  await expect(page.locator('#recovery-codes li')).toHaveCount(10);

  await page.getByRole('button', { name: 'ログアウト' }).click();
  // Password alone is not enough.
  await login(page, '');
  await expect(page.getByText('確認コード（6桁）も入力してください')).toBeVisible();
  // The code used at enrolment is refused: a replay.
  await login(page, totp(secret, enrolStep));
  await expect(page.getByText('一度使ったコードは使えません')).toBeVisible();
  // Wait for the next 30-second step, then sign in.
  while (step() <= enrolStep) await page.waitForTimeout(500);
  const code = totp(secret, step());
  await login(page, code);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.locator('#two-factor-missing')).toHaveCount(0);
  // The same code again, in a new sign-in: refused.
  await page.getByRole('button', { name: 'ログアウト' }).click();
  await login(page, code);
  await expect(page.getByText('一度使ったコードは使えません')).toBeVisible();
});
