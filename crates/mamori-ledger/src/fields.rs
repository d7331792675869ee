//! The columns of each ledger. Headers follow the manual's and the MIST training deck's examples (e.g. the
//! 利用者台帳: No. | 所属部署 | 姓 | 名 | 電話番号 | ユーザID | 説明 | 権限 | 状態), with the additions the checklist
//! items need (退職日, 確認日, 管理者権限, 二要素認証 …); aliases are the other spellings seen in offices.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Devices,
    Accounts,
    Vendors,
    Contacts,
    Loglist,
    /// ログの確認記録: who looked at which logs, for which period, and what they found.
    LogReviews,
    Backups,
    /// Support ends the facility registers for products Mamori's data does not know (ORCA, 電子カルテ,
    /// PACS, network devices) or knows differently (an extended support contract).
    Lifecycle,
    /// The facility's baseline of services and software: allowed, must not run, to be confirmed.
    Baseline,
    /// 訓練記録: BCP exercises and restore tests (date, scenario, participants, result, lessons).
    Exercises,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Devices,
        Kind::Accounts,
        Kind::Vendors,
        Kind::Contacts,
        Kind::Loglist,
        Kind::LogReviews,
        Kind::Backups,
        Kind::Lifecycle,
        Kind::Baseline,
        Kind::Exercises,
    ];
    pub fn id(self) -> &'static str {
        match self {
            Kind::Devices => "devices",
            Kind::Accounts => "accounts",
            Kind::Vendors => "vendors",
            Kind::Contacts => "contacts",
            Kind::Loglist => "loglist",
            Kind::LogReviews => "logreviews",
            Kind::Backups => "backups",
            Kind::Lifecycle => "lifecycle",
            Kind::Baseline => "baseline",
            Kind::Exercises => "exercises",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Kind::Devices => "機器台帳",
            Kind::Accounts => "利用者台帳",
            Kind::Vendors => "事業者・契約",
            Kind::Contacts => "外部連絡リスト",
            Kind::Loglist => "ログリスト",
            Kind::LogReviews => "ログ確認記録",
            Kind::Backups => "バックアップ台帳",
            Kind::Lifecycle => "サポート期限",
            Kind::Baseline => "サービス・ソフトの基準",
            Kind::Exercises => "訓練記録",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.id() == s)
    }
    pub fn fields(self) -> &'static [Field] {
        match self {
            Kind::Devices => DEVICES,
            Kind::Accounts => ACCOUNTS,
            Kind::Vendors => VENDORS,
            Kind::Contacts => CONTACTS,
            Kind::Loglist => LOGLIST,
            Kind::LogReviews => LOG_REVIEWS,
            Kind::Backups => BACKUPS,
            Kind::Lifecycle => LIFECYCLE,
            Kind::Baseline => BASELINE,
            Kind::Exercises => EXERCISES,
        }
    }
    /// The columns a list page shows, and by which it can be sorted and filtered (at most
    /// [`LIST_COLUMNS`], the No. column left out). The store keeps a sortable copy of each.
    pub fn list_fields(self) -> impl Iterator<Item = &'static Field> {
        self.fields()
            .iter()
            .filter(|f| f.key != "no")
            .take(LIST_COLUMNS)
    }
    /// The fields the checklist's evidence rules read (`mamori-evidence`). The store keeps a copy of just
    /// these per row, so that the rules can read tens of thousands of rows quickly.
    pub fn evidence_fields(self) -> &'static [&'static str] {
        match self {
            Kind::Devices => &[
                "software",
                "os",
                "os_version",
                "remote_maintenance",
                "remote_confirmed_on",
                "support_end",
                "vendor",
                "inventoried_on",
                "device_kind",
                "lifecycle_end",
                "updates",
                "patched_on",
                "av_updated_on",
                "service_flags",
                "remote_detected",
                "recovery_priority",
            ],
            Kind::Accounts => &["status", "reviewed_on", "admin", "end_date", "two_factor"],
            Kind::Vendors => &[
                "name",
                "remote_contract",
                "mds_sds_received_on",
                "mds_sds_followup",
                "vendor_form_received_on",
            ],
            Kind::Contacts => &["phone", "category"],
            Kind::Loglist => &["reviewer", "frequency"],
            Kind::LogReviews => &["reviewed_on", "findings", "comment"],
            Kind::Backups => &[
                "offline",
                "restore_tested_on",
                "restore_procedure",
                "generations",
                "system",
            ],
            Kind::Exercises => &["held_on", "exercise_kind", "system", "result"],
            // Applied to the devices when they are saved (the rules read the devices' results).
            Kind::Lifecycle | Kind::Baseline => &[],
        }
    }
    /// The position of a field among [`Kind::list_fields`].
    pub fn list_slot(self, key: &str) -> Option<usize> {
        self.list_fields().position(|f| f.key == key)
    }
    pub fn field(self, key: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.key == key)
    }
    /// The fields that identify a row: two rows of one file may not share them.
    pub fn identity(self) -> &'static [&'static str] {
        match self {
            Kind::Devices => &["computer_name", "serial"],
            Kind::Accounts => &["system", "user_id"],
            Kind::Vendors => &["name"],
            Kind::Contacts => &["organisation", "person", "phone"],
            Kind::Loglist => &["target", "log_kind"],
            Kind::LogReviews => &["reviewed_on", "target", "reviewer"],
            Kind::Backups => &["system", "method"],
            Kind::Exercises => &["held_on", "exercise_kind", "scenario"],
            Kind::Lifecycle => &["product", "version"],
            Kind::Baseline => &["name", "target"],
        }
    }
}

/// How many columns a list shows (and the store keeps sortable).
pub const LIST_COLUMNS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Text,
    /// Written as text in xlsx (leading zeros and hyphens kept).
    Code,
    Date,
    /// One of the listed words; synonyms are mapped to them in [`crate::values`].
    Choice(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub key: &'static str,
    pub header: &'static str,
    pub aliases: &'static [&'static str],
    pub ty: FieldType,
    pub required: bool,
}

/// Keys of the free-text columns that may hold several lines (a note, a procedure, a list an agent wrote).
const MULTILINE: &[&str] = &[
    "notes",
    "comment",
    "lessons",
    "scenario",
    "result",
    "restore_procedure",
    "restore_result",
    "mds_sds_risk_note",
    "mds_sds_followup",
    "two_factor_fallback",
    "method",
    "systems",
    "software",
    "services",
    "service_flags",
    "cloud_services",
    "remote_detected",
    "updates",
    "lifecycle_basis",
    "participants",
];

/// Characters an Excel cell holds: the most a free-text column keeps, so that every value survives the
/// ledger's own Excel export.
pub const MAX_LONG_CHARS: usize = 32_767;
/// Characters a one-line column keeps (a name, a place, a model): far above any real value, small enough
/// that lists, pages and the pack stay small.
pub const MAX_SHORT_CHARS: usize = 500;
/// Characters a code column keeps (an address, a serial, a host name, a version).
pub const MAX_CODE_CHARS: usize = 200;

impl Field {
    /// Whether the column may hold line breaks (a note); other columns are one line.
    pub fn multiline(&self) -> bool {
        matches!(self.ty, FieldType::Text) && MULTILINE.contains(&self.key)
    }
    /// The most characters a value of this column keeps; longer values are refused with their row.
    pub fn max_chars(&self) -> usize {
        match self.ty {
            FieldType::Code | FieldType::Date => MAX_CODE_CHARS,
            FieldType::Choice(_) => MAX_CODE_CHARS,
            FieldType::Text if self.multiline() => MAX_LONG_CHARS,
            FieldType::Text => MAX_SHORT_CHARS,
        }
    }
}

const fn f(
    key: &'static str,
    header: &'static str,
    aliases: &'static [&'static str],
    ty: FieldType,
    required: bool,
) -> Field {
    Field {
        key,
        header,
        aliases,
        ty,
        required,
    }
}

use FieldType::{Choice, Code, Date, Text};

pub const YES_NO: &[&str] = &["はい", "いいえ"];
pub const HAS: &[&str] = &["有", "無", "未確認"];

pub const DEVICES: &[Field] = &[
    f("no", "No.", &["No", "番号", "№"], Code, false),
    f(
        "device_kind",
        "種別",
        &["機器種別", "区分", "種類"],
        Choice(&["サーバ", "端末PC", "ネットワーク機器", "医療機器", "その他"]),
        true,
    ),
    f(
        "maker",
        "メーカー",
        &["機器メーカー", "製造元", "メーカ"],
        Text,
        false,
    ),
    f("model", "機種", &["型番", "モデル", "製品名"], Text, false),
    f(
        "os",
        "OS",
        &["オペレーティングシステム", "OS名"],
        Text,
        false,
    ),
    f(
        "os_version",
        "OSバージョン",
        &["OSのバージョン", "バージョン"],
        Code,
        false,
    ),
    f(
        "software",
        "ソフトウェア（バージョン）",
        &[
            "使用しているソフトウェア（バージョン）",
            "ソフトウェア",
            "インストールソフト",
        ],
        Text,
        false,
    ),
    f("ip", "IPアドレス", &["IP"], Code, false),
    f("mac", "MACアドレス", &["MAC"], Code, false),
    f(
        "computer_name",
        "コンピュータ名",
        &["コンピューター名", "ホスト名", "機器名"],
        Code,
        false,
    ),
    f("serial", "シリアル番号", &["製造番号", "S/N"], Code, false),
    f("location", "設置場所", &["場所"], Text, false),
    f(
        "user",
        "利用者",
        &["使用者", "利用部署", "担当者"],
        Text,
        false,
    ),
    f(
        "vendor",
        "管理事業者",
        &["保守事業者", "事業者", "保守業者"],
        Text,
        false,
    ),
    f(
        "remote_maintenance",
        "リモートメンテナンス",
        &["リモートメンテナンスの有無", "リモート保守"],
        Choice(HAS),
        false,
    ),
    f(
        "remote_method",
        "リモート接続方法",
        &["接続方法"],
        Text,
        false,
    ),
    f("remote_vendor", "リモート接続事業者", &[], Text, false),
    f("remote_confirmed_on", "リモート確認日", &[], Date, false),
    f(
        "cloud_services",
        "利用しているクラウドサービス",
        &["クラウドサービス"],
        Text,
        false,
    ),
    f(
        "support_end",
        "サポート終了日",
        &["保守期限", "サポート期限", "EOL"],
        Date,
        false,
    ),
    f("notes", "備考", &["メモ"], Text, false),
    f(
        "machine_id",
        "machine-id",
        &["マシンID", "machine id"],
        Code,
        false,
    ),
    f(
        "inventoried_on",
        "エージェント確認日",
        &["最終確認（エージェント）", "一覧の取得日"],
        Date,
        false,
    ),
    f(
        "services",
        "動作中のサービス",
        &["サービス", "起動しているサービス"],
        Text,
        false,
    ),
    f(
        "remote_detected",
        "検出したリモート接続",
        &["リモート接続ソフト（検出）"],
        Text,
        false,
    ),
    f(
        "patched_on",
        "更新プログラム適用日",
        &["パッチ適用日", "最終更新日", "Windows Update 適用日"],
        Date,
        false,
    ),
    f(
        "av_updated_on",
        "ウイルス定義の更新日",
        &["定義ファイル更新日", "パターンファイル更新日"],
        Date,
        false,
    ),
    // Written by Mamori when the row is saved (mamori-lifecycle): the support end found and why, the
    // newer versions known, and what the services baseline flags.
    f(
        "lifecycle_end",
        "サポート終了日（自動判定）",
        &[],
        Date,
        false,
    ),
    f("lifecycle_basis", "サポート判定の根拠", &[], Text, false),
    f("updates", "新しい版", &["更新の状況"], Text, false),
    f(
        "service_flags",
        "不要なサービス・ソフト",
        &["サービスの判定"],
        Text,
        false,
    ), // The BCP's 重要システムと復旧優先順位: the facility marks which systems come back first.
    f(
        "recovery_priority",
        "復旧優先順位",
        &["優先順位", "復旧の優先度", "重要度"],
        Choice(RECOVERY_PRIORITIES),
        false,
    ),
];

/// 1 comes back first.
pub const RECOVERY_PRIORITIES: &[&str] = &["1", "2", "3", "対象外"];

pub const LIFECYCLE: &[Field] = &[
    f("no", "No.", &["No", "番号", "№"], Code, false),
    f(
        "product",
        "製品名（照合する語）",
        &["製品名", "製品", "ソフトウェア名", "機種"],
        Text,
        true,
    ),
    f("version", "版", &["バージョン", "Ver"], Code, false),
    f(
        "support_end",
        "サポート終了日",
        &["サポート期限", "保守期限", "EOL", "終了日"],
        Date,
        true,
    ),
    f("source", "出典", &["根拠", "情報源", "URL"], Text, false),
    f("notes", "備考", &["メモ"], Text, false),
];

pub const BASELINE: &[Field] = &[
    f("no", "No.", &["No", "番号", "№"], Code, false),
    f(
        "name",
        "名前（含む語）",
        &["名前", "サービス名", "ソフトウェア名"],
        Text,
        true,
    ),
    f(
        "target",
        "対象",
        &["種類", "区分"],
        Choice(&["ソフトウェア", "サービス", "どちらも"]),
        false,
    ),
    f(
        "decision",
        "判定",
        &["扱い", "可否"],
        Choice(&["許可", "禁止", "要確認"]),
        true,
    ),
    f("reason", "理由", &["用途", "説明"], Text, false),
    f("notes", "備考", &["メモ"], Text, false),
];

pub const ACCOUNTS: &[Field] = &[
    f("no", "No.", &["No", "番号", "№"], Code, false),
    f(
        "system",
        "システム",
        &["システム名", "対象システム"],
        Text,
        false,
    ),
    f("department", "所属部署", &["部署", "所属"], Text, false),
    f("family_name", "姓", &["氏"], Text, false),
    f("given_name", "名", &[], Text, false),
    f(
        "phone",
        "電話番号",
        &["電話", "内線", "内線番号"],
        Code,
        false,
    ),
    f(
        "user_id",
        "ユーザID",
        &[
            "ユーザーID",
            "ログインID",
            "アカウント",
            "アカウント名",
            "ID",
            "利用者ID",
            "利用者コード",
            "職員ID",
            "職員コード",
            "職員番号",
        ],
        Code,
        true,
    ),
    f("description", "説明", &["役割", "職種"], Text, false),
    f("privilege", "権限", &["ロール", "権限区分"], Text, false),
    f(
        "admin",
        "管理者権限",
        &["管理者", "特権"],
        Choice(YES_NO),
        false,
    ),
    f(
        "status",
        "状態",
        &["ステータス", "利用状態"],
        Choice(&["使用可", "無効", "削除"]),
        true,
    ),
    f(
        "end_date",
        "退職日・利用終了日",
        &[
            "退職日",
            "利用終了日",
            "退職予定日",
            "利用終了予定日",
            "終了日",
        ],
        Date,
        false,
    ),
    f(
        "reviewed_on",
        "最終確認日",
        &["確認日", "棚卸日", "見直し日"],
        Date,
        false,
    ),
    f(
        "two_factor",
        "二要素認証",
        &["2要素認証", "二段階認証", "多要素認証", "MFA"],
        Choice(HAS),
        false,
    ),
];

/// Where the vendor's responsibility for security updates is written (「記載なし」: nowhere).
pub const UPDATE_DUTY: &[&str] = &["契約書", "約款", "SLA", "記載なし"];
/// The facility's review of the 99 MDS/SDS 確認事項 of a vendor.
pub const MDS_SDS_REVIEW: &[&str] = &["すべてはい・対象外", "リスクを評価済み", "未確認"];
/// A system's two-factor authentication.
pub const TWO_FACTOR_SYSTEM: &[&str] = &["導入済み", "次回更新時に導入", "未定"];

pub const VENDORS: &[Field] = &[
    f("no", "No.", &["No", "番号"], Code, false),
    f(
        "name",
        "事業者名",
        &["事業者", "会社名", "ベンダー"],
        Text,
        true,
    ),
    f(
        "systems",
        "提供システム",
        &["システム", "製品"],
        Text,
        false,
    ),
    f(
        "remote_contract",
        "リモートメンテナンス契約",
        &["リモート保守契約"],
        Choice(HAS),
        false,
    ),
    f(
        "mds_sds_kind",
        "MDS/SDS",
        &["MDS・SDS", "開示書"],
        Choice(&["MDS", "SDS", "MDS・SDS", "なし"]),
        false,
    ),
    f(
        "mds_sds_version",
        "MDS/SDSの版",
        &["開示書の版"],
        Code,
        false,
    ),
    f(
        "mds_sds_received_on",
        "MDS/SDS受領日",
        &["開示書受領日"],
        Date,
        false,
    ),
    f(
        "mds_sds_followup",
        "未記入欄の対応",
        &["未記入欄"],
        Text,
        false,
    ),
    f(
        "vendor_form_received_on",
        "事業者確認用受領日",
        &["事業者確認用"],
        Date,
        false,
    ),
    // Guideline 第7.0版 保守委託機関編: みなし遵守 only where the vendor's responsibility for security
    // updates is written down.
    f(
        "security_update_duty",
        "セキュリティ更新の責任の記載",
        &["セキュリティ更新の責任", "更新責任の記載"],
        Choice(UPDATE_DUTY),
        false,
    ),
    // The 99 MDS/SDS 確認事項 (MDS 41 + SDS 58): the facility's review of this vendor's answers.
    f(
        "mds_sds_review",
        "MDS/SDS確認事項の確認結果",
        &["MDS/SDS確認事項", "確認事項99項目"],
        Choice(MDS_SDS_REVIEW),
        false,
    ),
    f(
        "mds_sds_reviewed_on",
        "MDS/SDS確認事項の確認日",
        &["確認事項の確認日"],
        Date,
        false,
    ),
    f(
        "mds_sds_risk_note",
        "MDS/SDSのリスク評価",
        &["リスク評価"],
        Text,
        false,
    ),
    // Two-factor authentication per system (client terminals and servers, by 令和9年4月1日).
    f(
        "two_factor_system",
        "二要素認証（システム）",
        &["システムの二要素認証"],
        Choice(TWO_FACTOR_SYSTEM),
        false,
    ),
    f(
        "renewal_on",
        "次回システム更新予定日",
        &["次回更新予定日", "更新予定日"],
        Date,
        false,
    ),
    f(
        "two_factor_fallback",
        "二要素認証までの代替策",
        &["代替策"],
        Text,
        false,
    ),
    f("contact", "担当者", &["連絡先"], Text, false),
    f("notes", "備考", &[], Text, false),
];

pub const CONTACTS: &[Field] = &[
    f("no", "No", &["No.", "番号"], Code, false),
    f(
        "category",
        "カテゴリ",
        &["区分", "分類"],
        Choice(&["公的機関", "事業者", "院内", "その他"]),
        true,
    ),
    f(
        "organisation",
        "組織名",
        &["組織", "機関名", "会社名"],
        Text,
        true,
    ),
    f("person", "担当者名", &["担当者", "氏名"], Text, false),
    f("phone", "電話番号", &["電話"], Code, false),
    f(
        "after_hours_phone",
        "時間外電話番号",
        &["夜間・休日", "時間外連絡先"],
        Code,
        false,
    ),
    f(
        "email",
        "メールアドレス",
        &["メール", "E-mail"],
        Code,
        false,
    ),
    f("role", "インシデント時の役割", &["役割"], Text, false),
    f("verified_on", "最終確認日", &["確認日"], Date, false),
];

pub const LOGLIST: &[Field] = &[
    f("no", "No.", &["No", "番号"], Code, false),
    f(
        "target",
        "機器・システム",
        &["機器", "システム", "対象"],
        Text,
        true,
    ),
    f("log_kind", "ログの種類", &["ログ", "種類"], Text, true),
    f("location", "保存場所", &["保管場所"], Text, false),
    f("retention", "保存期間", &["保管期間"], Text, false),
    f("reviewer", "確認者", &["確認担当"], Text, false),
    f("frequency", "確認頻度", &["頻度"], Text, false),
    f("notes", "備考", &[], Text, false),
];

pub const FINDINGS: &[&str] = &["異常なし", "異常あり"];

pub const EXERCISE_KINDS: &[&str] = &["BCP訓練", "復旧テスト", "机上訓練", "その他"];

pub const EXERCISES: &[Field] = &[
    f("no", "No.", &["No", "番号"], Code, false),
    f(
        "held_on",
        "実施日",
        &["実施した日", "日付", "訓練日"],
        Date,
        true,
    ),
    f(
        "exercise_kind",
        "種別",
        &["訓練の種類", "種類"],
        Choice(EXERCISE_KINDS),
        true,
    ),
    f(
        "scenario",
        "想定・内容",
        &["シナリオ", "想定", "内容"],
        Text,
        true,
    ),
    f("system", "対象システム", &["システム"], Text, false),
    f("participants", "参加者", &["参加者数", "参加"], Text, false),
    f("result", "結果", &["結果・評価", "評価"], Text, false),
    f(
        "lessons",
        "教訓・改善点",
        &["改善点", "反省点", "教訓"],
        Text,
        false,
    ),
];

pub const LOG_REVIEWS: &[Field] = &[
    f("no", "No.", &["No", "番号"], Code, false),
    f(
        "reviewed_on",
        "確認日",
        &["確認した日", "実施日"],
        Date,
        true,
    ),
    f("reviewer", "確認者", &["確認担当", "担当者"], Text, true),
    f(
        "target",
        "確認したログ",
        &["機器・システム", "対象", "ログ"],
        Text,
        true,
    ),
    f(
        "period_from",
        "対象期間（開始）",
        &["期間開始", "開始日"],
        Date,
        false,
    ),
    f(
        "period_to",
        "対象期間（終了）",
        &["期間終了", "終了日"],
        Date,
        false,
    ),
    f(
        "findings",
        "結果",
        &["確認結果", "所見"],
        Choice(FINDINGS),
        true,
    ),
    f(
        "comment",
        "コメント・対応",
        &["コメント", "対応", "備考"],
        Text,
        false,
    ),
];

pub const BACKUPS: &[Field] = &[
    f("no", "No.", &["No", "番号"], Code, false),
    f("system", "システム", &["対象システム", "対象"], Text, true),
    f("frequency", "頻度", &["取得頻度"], Text, false),
    f(
        "method",
        "方法",
        &["取得方法", "バックアップ方法"],
        Text,
        false,
    ),
    f("generations", "世代数", &["保存世代"], Code, false),
    f(
        "offline",
        "オフライン・改ざん防止",
        &["オフライン", "イミュータブル"],
        Choice(YES_NO),
        false,
    ),
    f("storage", "保管場所", &["保存先"], Text, false),
    f(
        "restore_procedure",
        "復旧手順書",
        &["復旧手順", "リストア手順"],
        Text,
        false,
    ),
    f(
        "restore_tested_on",
        "最終復旧テスト日",
        &["復旧テスト日", "リストアテスト日"],
        Date,
        false,
    ),
    f(
        "restore_result",
        "復旧テスト結果",
        &["テスト結果"],
        Text,
        false,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_headers_are_unique_per_ledger() {
        for kind in Kind::ALL {
            let mut names = std::collections::HashSet::new();
            for field in kind.fields() {
                for name in std::iter::once(&field.header).chain(field.aliases) {
                    assert!(
                        names.insert(crate::values::header_key(name)),
                        "{kind:?}: {name} twice"
                    );
                }
            }
            for key in kind.identity().iter().chain(kind.evidence_fields()) {
                assert!(kind.field(key).is_some(), "{kind:?} {key}");
            }
            assert_eq!(Kind::parse(kind.id()), Some(kind));
        }
    }
}
