// A clinic's first day: set up; the administrator must enrol TOTP before anything else; sign out and in
// with password + code (a replayed code is refused); answer three items (one いいえ with 目標日), watch the
// dashboard counts change, download the xlsx and read its cells; import a new edition from its workbook.
const { test, expect } = require('@playwright/test');
const ExcelJS = require('exceljs');
const crypto = require('crypto');

test.describe.configure({ mode: 'serial' });
// Dates as the server sees them: Japan time, fiscal year April–March.
const jst = new Date(Date.now() + 9 * 3600 * 1000);
const today = jst.toISOString().slice(0, 10);
const [y, m] = [jst.getUTCFullYear(), jst.getUTCMonth() + 1];
const fyStart = m >= 4 ? y : y - 1;
const fyEnd = `${fyStart + 1}-03-31`;
const reiwa = (iso) => {
  const [yy, mm, dd] = iso.split('-').map(Number);
  return `令和${yy - 2018}年${mm}月${dd}日`;
};

async function counts(page) {
  const get = async (k) => Number(await page.locator(`[data-count="${k}"]`).textContent());
  return { yes: await get('yes'), no: await get('no'), unanswered: await get('unanswered') };
}

function row(page, id) {
  return page.locator(`#${id}`);
}

async function answer(page, rowId, { choice, checked, target, note }) {
  const form = row(page, rowId).locator('form[data-round="1"]');
  await form.locator(`input[name="answer"][value="${choice}"]`).check();
  await form.locator('input[name="checked_on"]').fill(checked);
  await form.locator('input[name="target_date"]').fill(target || '');
  await form.locator('input[name="note"]').fill(note || '');
  await form.getByRole('button', { name: '保存' }).click();
}

function base32Decode(str) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of str) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

// RFC 6238 (SHA-1, 30 s, 6 digits), as an authenticator app computes it.
function totp(secret, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = crypto.createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const o = h[h.length - 1] & 0x0f;
  const bin = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(bin % 1_000_000).padStart(6, '0');
}

const step = () => Math.floor(Date.now() / 1000 / 30);

// Shared by the tests of this file, in order.
const state = { secret: '', lastStep: 0 };

async function login(page, password, code) {
  await page.goto('/login');
  await page.fill('#login', 'yamada');
  await page.fill('#password', password);
  await page.fill('#code', code);
  await page.getByRole('button', { name: 'ログイン' }).click();
}

// A code of a step not used before (waits for the next 30-second step when needed).
async function freshCode(page) {
  while (step() <= state.lastStep) await page.waitForTimeout(500);
  state.lastStep = step();
  return totp(state.secret, state.lastStep);
}

test('set up a clinic, enrol TOTP as required, sign in with password and code, replay refused', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/');
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole('heading', { name: '初期設定' })).toBeVisible();

  // A mistake first: everything typed stays, the message stands beside the field.
  await page.selectOption('#org_kind', 'clinic');
  await page.fill('#org_name', 'みどりクリニック');
  await page.fill('#security_officer', '山田 太郎');
  await page.check('input[name="has_vendor_contract"][value="yes"]');
  await page.fill('#admin_name', '山田 太郎');
  await page.fill('#admin_login', 'yamada');
  await page.fill('#password', 'short');
  await page.fill('#password_confirm', 'short');
  await page.getByRole('button', { name: '登録して始める' }).click();
  await expect(page.getByText('パスワードは8文字以上にしてください')).toBeVisible();
  await expect(page.locator('#org_name')).toHaveValue('みどりクリニック');

  await page.fill('#password', 'Midori#2025');
  await page.fill('#password_confirm', 'Midori#2025');
  await page.getByRole('button', { name: '登録して始める' }).click();

  // An administrator must enrol two-factor first: every page leads here until it is done.
  await expect(page).toHaveURL(/\/account\/totp$/);
  await expect(page.locator('#totp-required')).toBeVisible();
  await page.goto('/checklists/r7/facility');
  await expect(page).toHaveURL(/\/account\/totp$/);
  await expect(page.locator('img.qr')).toBeVisible();
  state.secret = (await page.locator('#totp-secret').textContent()).trim();
  const enrolStep = step();
  await page.fill('#code', totp(state.secret, enrolStep));
  await page.getByRole('button', { name: '確認して有効にする' }).click();
  await expect(page.getByText('設定が完了しました')).toBeVisible();
  await expect(page.locator('#recovery-codes li')).toHaveCount(10);
  state.lastStep = enrolStep;
  await page.getByRole('link', { name: 'ダッシュボードへ' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);

  // Sign out; the password alone is not enough, a wrong password is refused, the enrolment code is a replay.
  await page.getByRole('button', { name: 'ログアウト' }).click();
  await expect(page).toHaveURL(/\/login$/);
  // Every failure reads the same (the page does not confirm a password without its code).
  await login(page, 'Midori#2025', '');
  await expect(page.getByText('ログインID・パスワード・確認コードのいずれかが違います')).toBeVisible();
  await login(page, 'wrong-password', totp(state.secret, step()));
  await expect(page.getByText('ログインID・パスワード・確認コードのいずれかが違います')).toBeVisible();
  await login(page, 'Midori#2025', totp(state.secret, enrolStep));
  await expect(page.getByText('一度使ったコードは使えません')).toBeVisible();
  const code = await freshCode(page);
  await login(page, 'Midori#2025', code);
  await expect(page).toHaveURL(/\/dashboard$/);
  // The same code again, in a new sign-in: refused.
  await page.getByRole('button', { name: 'ログアウト' }).click();
  await login(page, 'Midori#2025', code);
  await expect(page.getByText('一度使ったコードは使えません')).toBeVisible();
});

test('answer, see counts, download the xlsx', async ({ page }) => {
  test.setTimeout(120_000);
  await login(page, 'Midori#2025', await freshCode(page));
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.locator('#backup-warning')).toContainText('バックアップの記録がありません');
  const before = await counts(page);
  expect(before.yes).toBe(0);
  expect(before.no).toBe(0);

  await page.getByRole('link', { name: 'チェックリストに回答する' }).click();
  const edition = page.url().split('/checklists/')[1].split('/')[0];
  const rid = (key, target = 'general') => `row-${edition}-facility-${key.replace('.', '-')}-${target}`;

  await answer(page, rid('1.1'), { choice: 'yes', checked: today });
  await expect(row(page, rid('1.1')).locator('.saved')).toContainText('はい');
  await answer(page, rid('2.1'), { choice: 'yes', checked: today });
  await expect(row(page, rid('2.1')).locator('.saved')).toContainText('はい');

  // いいえ without 目標日 is refused beside the field; the note typed stays.
  const patches = edition === 'r7' ? '2.6' : '2.7';
  const patchTarget = edition === 'r7' ? 'general' : 'network';
  await answer(page, rid(patches, patchTarget), { choice: 'no', checked: today, note: '更新手順を事業者と調整中' });
  await expect(row(page, rid(patches, patchTarget)).locator('.field-error')).toContainText('目標日を入力してください');
  await expect(row(page, rid(patches, patchTarget)).locator('input[name="note"]').first()).toHaveValue('更新手順を事業者と調整中');
  await answer(page, rid(patches, patchTarget), { choice: 'no', checked: today, target: fyEnd, note: '更新手順を事業者と調整中' });
  await expect(row(page, rid(patches, patchTarget)).locator('.saved')).toContainText('目標日');

  await page.getByRole('link', { name: 'ダッシュボード' }).click();
  const after = await counts(page);
  expect(after).toEqual({ yes: 2, no: 1, unanswered: before.unanswered - 3 });
  await expect(page.locator('table.open')).toContainText('セキュリティパッチ');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Excel（xlsx）をダウンロード' }).click(),
  ]);
  const file = await download.path();
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const ws = wb.getWorksheet('チェックリスト');
  const cells = [];
  ws.eachRow((r) => r.eachCell((c) => cells.push(String(c.value))));
  expect(cells).toContain('施設名：みどりクリニック');
  expect(cells).toContain(`はい\n（${reiwa(today)}）`);
  expect(cells).toContain(`いいえ\n（${reiwa(today)}）\n目標日：${reiwa(fyEnd)}`);
  expect(cells).toContain('更新手順を事業者と調整中');
  const officerRow = cells.findIndex((c) => c.startsWith('医療情報システム安全管理責任者を設置している。'));
  expect(officerRow).toBeGreaterThan(0);
  expect(ws.pageSetup.paperSize).toBe(9);
});

test('import a user ledger, see the suggestion change, answer against it with a reason', async ({ page }) => {
  test.setTimeout(120_000);
  await login(page, 'Midori#2025', await freshCode(page));
  await expect(page).toHaveURL(/\/dashboard$/);
  const rowId = 'row-r7-facility-2-5-server';
  await page.goto('/checklists/r7/facility');
  await expect(page.locator(`#${rowId} [data-suggestion]`)).toHaveAttribute('data-suggestion', 'unknown');

  // The clinic's own Excel-made CSV (UTF-8 with BOM): one retired account still usable.
  await page.getByRole('link', { name: '台帳', exact: true }).click();
  await page.getByRole('link', { name: '利用者台帳', exact: true }).click();
  await expect(page).toHaveURL(/\/ledgers\/accounts$/);
  const csv = '\ufeffNo.,所属部署,姓,名,電話番号,ユーザID,説明,権限,状態,退職日\r\n' +
    '001,医事課,山田,太郎,0312345678,yamada,事務長,Admin,使用可,\r\n' +
    '002,看護部,佐藤,花子,,sato,看護師,User,使用可,2025/3/31\r\n';
  await page.setInputFiles('#ledger-file', { name: '利用者台帳.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: '確認する' }).click();
  await expect(page.locator('#preview-count')).toHaveText('2 行');
  await expect(page.locator('#column-map')).toContainText('ユーザID');
  await page.getByRole('button', { name: '取り込む' }).click();
  await expect(page.locator('#imported')).toContainText('追加 2 行');
  await expect(page.locator('#ledger')).toContainText('sato');

  // The checklist now says what the ledger says.
  await page.goto('/checklists/r7/facility');
  const row = page.locator(`#${rowId}`);
  await expect(row.locator('[data-suggestion]')).toHaveAttribute('data-suggestion', 'no');
  await expect(row.locator('.suggestion')).toContainText('退職日（利用終了日）を過ぎた利用者のうち1名が使用可のままです');
  await expect(row.locator('.suggestion a')).toHaveCount(1);

  // はい against it: a reason is asked for; with one, it is saved.
  await answer(page, rowId, { choice: 'yes', checked: today });
  await expect(row.locator('.field-error')).toContainText('理由を備考に書いてください');
  await answer(page, rowId, { choice: 'yes', checked: today, note: '佐藤さんは嘱託として継続勤務' });
  await expect(row.locator('.saved')).toContainText('はい');
});

test('import the downloaded workbook back, record a vendor form, see the reconciliation, download the pack', async ({ page }) => {
  test.setTimeout(120_000);
  await login(page, 'Midori#2025', await freshCode(page));
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto('/checklists/r7/facility');

  // The facility's own workbook, as downloaded, read back: a preview first, then the answers are saved.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Excel（xlsx）をダウンロード' }).click(),
  ]);
  await page.setInputFiles('#checklist-file', await download.path());
  await page.locator('form[action$="/import"]').getByRole('button', { name: '確認する' }).click();
  await expect(page.locator('#preview-count')).toContainText('件の回答');
  await expect(page.locator('#preview-answers')).toContainText('はい');
  await page.getByRole('button', { name: '取り込む' }).click();
  await expect(page.locator('#imported')).toContainText('件の回答を取り込みました');

  // A vendor in the ledger, with no 事業者確認用 yet: the reconciliation says so.
  await page.goto('/ledgers/vendors');
  const csv = '事業者名,提供システム,リモートメンテナンス契約\r\nA社,電子カルテ,有\r\n';
  await page.setInputFiles('#ledger-file', { name: '事業者.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: '確認する' }).click();
  await page.getByRole('button', { name: '取り込む' }).click();
  await page.getByRole('link', { name: '事業者確認用・照合' }).click();
  await expect(page.locator('#contradictions')).toContainText('A社の事業者確認用を受け取った記録がありません');

  // The vendor's filled form: the blank 事業者確認用 with 1(1) answered, as a vendor would return it.
  const [blank] = await Promise.all([
    page.waitForEvent('download'),
    page.evaluate(() => { const a = document.createElement('a'); a.href = '/checklists/r7/vendor/export.xlsx'; a.download = ''; document.body.appendChild(a); a.click(); }),
  ]);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(await blank.path());
  const ws = wb.getWorksheet('チェックリスト');
  ws.eachRow((r) => {
    if (String(r.getCell(6).value) === 'r7.vendor.1.1|general') r.getCell(3).value = `はい\n（${reiwa(today)}）`;
  });
  const filled = await wb.xlsx.writeBuffer();
  await page.setInputFiles('#vendor-forms input[type="file"]', { name: 'A社.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: Buffer.from(filled) });
  await page.locator('#vendor-forms').getByRole('button', { name: '取り込む' }).click();
  await expect(page.locator('#imported')).toContainText('回答 1 件');
  await expect(page.locator('#vendor-forms')).toContainText('回答 1 件（いいえ 0 件）');
  await expect(page.locator('main')).not.toContainText('A社の事業者確認用を受け取った記録がありません');

  const [pack] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: '立入検査用資料（PDF）' }).click(),
  ]);
  const head = require('fs').readFileSync(await pack.path()).subarray(0, 5).toString();
  expect(head).toBe('%PDF-');
});

test('issue an enrolment token, enrol this machine with the agent, see it in the device ledger with its support status', async ({ page }) => {
  test.setTimeout(120_000);
  const { execFileSync } = require('child_process');
  const path = require('path');
  const os = require('os');
  const fs = require('fs');
  await login(page, 'Midori#2025', await freshCode(page));
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.getByRole('link', { name: 'エージェント' }).click();
  await page.fill('#label', '受付PC');
  await page.getByRole('button', { name: '発行する' }).click();
  const token = (await page.locator('#enroll-token').textContent()).trim();
  expect(token).toMatch(/^enroll_[0-9a-f]{64}$/);

  // The agent, as a clinic's PC would run it (plain HTTP is allowed to this machine only).
  const bin = process.env.MAMORI_BIN || path.join(__dirname, '..', '..', 'target', 'debug', 'mamori');
  const stateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mamori-agent-')), 'agent.json');
  const base = page.url().replace(/\/dashboard.*$/, '').replace(/\/agents.*$/, '');
  const run = (args) => execFileSync(bin, ['agent', 'run', '--server', base, '--state', stateFile, '--once', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const child = require('child_process').spawnSync(bin, ['agent', 'run', '--server', base, '--state', stateFile, '--once', '--enroll-token', token], { encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  expect(child.stderr).toContain('「みどりクリニック」の機器として登録しました');
  expect(child.stderr).toContain('を登録しました');
  run([]); // the stored credential alone

  await page.goto('/agents');
  await expect(page.locator('#agents')).toContainText(fs.readFileSync('/etc/hostname', 'utf8').trim());
  await page.goto('/ledgers/devices');
  await page.locator('#ledger').getByRole('link', { name: '開く' }).first().click();
  await expect(page.locator('#support-status')).toBeVisible();
  await expect(page.locator('#device-status')).toContainText('エージェント確認日');
  await expect(page.locator('#f-machine_id')).toHaveValue(fs.readFileSync('/etc/machine-id', 'utf8').trim());
  await expect(page.locator('#inventory-history')).toContainText('エージェントの一覧から登録');
});

test('analyse an uploaded auth log, see the findings, record the review', async ({ page }) => {
  test.setTimeout(120_000);
  await login(page, 'Midori#2025', await freshCode(page));
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.getByRole('link', { name: 'ログの分析' }).click();
  let log = '';
  for (let i = 0; i < 12; i++) log += `Jun  1 10:${String(i).padStart(2, '0')}:00 srv sshd[9]: Failed password for root from 203.0.113.7 port 5${i} ssh2\n`;
  await page.setInputFiles('#log-files', { name: 'auth.log', mimeType: 'text/plain', buffer: Buffer.from(log) });
  await page.getByRole('button', { name: '分析する' }).click();
  await expect(page.locator('#analysis-status')).toHaveText('完了', { timeout: 30_000 });
  await expect(page.locator('#findings')).toContainText('アカウント「root」へのログオン失敗が10分間に10回以上あります');
  await page.selectOption('select[name="severity"]', 'low');
  await page.getByRole('button', { name: '絞り込む' }).click();
  await expect(page.locator('#no-findings')).toBeVisible();
  await page.selectOption('select[name="severity"]', '');
  await page.getByRole('button', { name: '絞り込む' }).click();
  await page.fill('#comment', '接続元をファイアウォールで遮断した');
  await page.check('#acknowledged');
  await page.getByRole('button', { name: '記録する' }).click();
  await expect(page.locator('#reviewed')).toContainText('ログ確認記録に記録しました');
  await page.locator('#reviewed').getByRole('link', { name: '記録を開く' }).click();
  await expect(page.locator('#f-findings')).toHaveValue('異常あり');
  await expect(page.locator('#f-comment')).toHaveValue(/接続元をファイアウォールで遮断した/);
});

test('import a new edition from its workbook: preview, confirm, answer the merged form, download the filled file', async ({ page }) => {
  test.setTimeout(120_000);
  const { execFileSync } = require('child_process');
  const path = require('path');
  const os = require('os');
  const fs = require('fs');
  // MHLW's workbook is not in the repository: a workbook laid out like an official form stands in for it.
  const bin = process.env.MAMORI_BIN || path.join(__dirname, '..', '..', 'target', 'debug', 'mamori');
  const book = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mamori-edition-')), '001716187.xlsx');
  const title = '医療機関・薬局におけるサイバーセキュリティ対策チェックリスト';
  execFileSync(bin, ['dev', 'edition-workbook', '--edition', 'r7', '--variant', 'facility', '--as-variant', 'merged',
    '--title', title, '--layout', 'rounds', '--out', book]);
  const nextId = `r${fyStart - 2018}`;

  await login(page, 'Midori#2025', await freshCode(page));
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.getByRole('link', { name: 'チェックリストの版' }).click();
  // A file that is not a checklist is refused, and nothing changes.
  await page.fill('#edition-id', nextId);
  await page.fill('#edition-fy', String(fyStart));
  await page.setInputFiles('#edition-files', { name: '名簿.xlsx', mimeType: 'application/octet-stream', buffer: Buffer.from('not a workbook') });
  await page.getByRole('button', { name: '読み取って確認する' }).click();
  await expect(page.locator('#import-error')).toContainText('何も変更していません');
  await expect(page.locator('#edition-id')).toHaveValue(nextId);

  await page.setInputFiles('#edition-files', book);
  await page.getByRole('button', { name: '読み取って確認する' }).click();
  await expect(page.locator('#import-status')).toHaveText('確認待ち');
  const form = page.locator('.edition-form[data-variant="merged"]');
  await expect(form.locator('.fingerprint')).toContainText('既知のファイルと一致しません');
  await expect(form.locator('.counts')).toContainText('新しい項目 0件');
  await expect(form.locator('.layout-map')).toContainText('1回目');
  await expect(form.locator('tr[data-key="2.6"]')).toContainText('セキュリティパッチ（最新ファームウェアや更新プログラム）を適用している。');
  // The suggested link of 3(4) is corrected by hand: treated as a new item.
  await form.locator('select[name="link.merged.3.4"]').selectOption('');
  await page.getByRole('button', { name: '確定する' }).click();

  await expect(page).toHaveURL(new RegExp(`/checklists/${nextId}/merged$`));
  await expect(page.locator('h1')).toContainText(title);
  const rid = (key) => `row-${nextId}-merged-${key.replace('.', '-')}-general`;
  // Last year's answer is offered, not taken: the row is still unanswered.
  await expect(row(page, rid('1.1')).locator('.proposal')).toContainText('令和7年度版 1(1)：はい');
  await expect(row(page, rid('1.1')).locator('.status')).toHaveText('未回答');
  await expect(row(page, rid('3.4')).locator('[data-change="new-item"]')).toBeVisible();
  await answer(page, rid('1.1'), { choice: 'yes', checked: today });
  await expect(row(page, rid('1.1')).locator('.saved')).toContainText('はい');

  // The filled workbook is the uploaded one with the answer in its cell.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Excel（xlsx）をダウンロード' }).click(),
  ]);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(await download.path());
  const ws = wb.getWorksheet('チェックリスト');
  let officer = null;
  ws.eachRow((r) => r.eachCell((c) => {
    if (String(c.value).startsWith('医療情報システム安全管理責任者を設置している。')) officer = r;
  }));
  expect(officer).not.toBeNull();
  expect(String(officer.getCell(3).value)).toBe(`はい\n（${reiwa(today)}）`);
  expect(String(ws.getCell('A1').value)).toBe(title);
  await page.getByRole('link', { name: 'ダッシュボード' }).click();
  await expect(page.locator('body')).not.toContainText('まだ取り込まれていない');
});

test('an administrator disables a leaver, whose sessions and token stop, and enables them again', async ({ page }) => {
  test.setTimeout(120_000);
  const { execFileSync } = require('child_process');
  const path = require('path');
  const bin = process.env.MAMORI_BIN || path.join(__dirname, '..', '..', 'target', 'debug', 'mamori');
  const db = path.join(process.env.MAMORI_E2E_DIR, 'e2e.db');
  execFileSync(bin, ['user', 'add', '--db', db, '--login', 'leaver', '--name', '退職 予定', '--role', 'editor', '--password-stdin'],
    { input: 'Kawa#Momiji2026!\n', encoding: 'utf8' });
  const token = execFileSync(bin, ['token', 'create', '--db', db, '--user', 'leaver', '--label', 'レセコン連携'], { encoding: 'utf8' }).trim();
  const api = () => page.request.get('/api/v1/checklists/r7/facility/answers', { headers: { Authorization: `Bearer ${token}` } });
  expect((await api()).status()).toBe(200);

  await login(page, 'Midori#2025', await freshCode(page));
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto('/settings');
  const row = page.locator('#users tr', { hasText: 'leaver' });
  await expect(row).toContainText('有効');
  await expect(page.locator('#tokens')).toContainText('レセコン連携');
  await row.getByRole('button', { name: '無効にする' }).click();
  await expect(page.locator('#done')).toContainText('すぐに使えなくなりました');
  await expect(page.locator('#users tr', { hasText: 'leaver' })).toContainText('無効');
  expect((await api()).status()).toBe(401);
  await page.locator('#users tr', { hasText: 'leaver' }).getByRole('button', { name: '有効に戻す' }).click();
  await expect(page.locator('#done')).toContainText('有効に戻しました');
  expect((await api()).status()).toBe(200);
  await page.locator('#tokens tr', { hasText: 'レセコン連携' }).getByRole('button', { name: '取り消す' }).click();
  await expect(page.locator('#done')).toContainText('取り消しました');
  await expect(page.locator('#tokens tr', { hasText: 'レセコン連携' })).toContainText('取り消し');
  expect((await api()).status()).toBe(401);
});
