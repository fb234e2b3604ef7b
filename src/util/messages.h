// The message catalogs: what the report, the dashboard and the CLI say, in
// the user's language. English is the source language: a message's key is
// its English text (as gettext's msgid), and a language's catalog,
// data/i18n/<lang>.toml, maps keys to translations, one table per front end
// ([report], [cli], [dashboard]); a key missing from the catalog reads as
// its English text. Placeholders are fmt's named fields ("{n} devices" →
// "{n} 台设备"); the loader refuses a translation whose fields differ from
// its key's, so formatting a loaded message cannot fail on the fields.
//
// The language comes from `--lang` or $SUANLI_LANG ("en", "zh", and the
// locale spellings "zh_CN", "zh-CN", "zh_CN.UTF-8"). Chip and model names,
// IDs, units and figures are never translated.
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "util/error.h"

namespace suanli {

enum class Lang { kEn, kZh };

// "en" / "zh": the catalog's file name and the API's spelling.
std::string_view lang_code(Lang lang);
// The HTML lang attribute: "en" / "zh-CN".
std::string_view lang_html(Lang lang);
// Every language, in menu order.
const std::vector<Lang>& all_langs();

// "en", "zh", "zh_CN", "zh-CN", "zh_CN.UTF-8", "C" (English), any case.
Result<Lang> parse_lang(std::string_view text);
// --lang when given (non-empty), else $SUANLI_LANG when set, else English;
// a bad value in either is an error that names where it came from.
Result<Lang> resolve_lang(std::string_view flag);

// A message not yet put into words: its English text with named fields
// and the fields' values (already formatted: numbers carry the precision
// the English shows). Library code that explains itself (a binding
// constraint, a policy, a robustness input) keeps one, so each front end
// renders it in its user's language; english() is the English.
struct Text {
  std::string key;
  std::vector<std::pair<std::string, std::string>> args;

  Text() = default;
  Text(std::string k, std::vector<std::pair<std::string, std::string>> a = {})
      : key(std::move(k)), args(std::move(a)) {}
  std::string english() const;
  bool empty() const { return key.empty(); }
  friend bool operator==(const Text&, const Text&) = default;
};

class Messages {
 public:
  using Entries = std::map<std::string, std::string, std::less<>>;

  // English: every key reads as itself.
  Messages() = default;

  // data/i18n/<code>.toml under `data_dir` (English needs no file).
  static Result<Messages> load(Lang lang, const std::filesystem::path& data_dir);
  // The catalog text itself; `file` names it in messages.
  static Result<Messages> parse(Lang lang, std::string_view toml_text,
                                const std::filesystem::path& file);

  Lang lang() const { return lang_; }

  // The translation of `english`, or `english` when the catalog lacks it.
  std::string_view tr(std::string_view english) const;

  // tr(english) with its named fields filled: trf("{n} devices",
  // fmt::arg("n", 8)). A field the call does not supply (a bug at the call
  // site) falls back to the English text formatted, and, failing that, the
  // bare English text: a message never throws.
  template <typename... Args>
  std::string trf(std::string_view english, const Args&... args) const {
    try {
      return fmt::vformat(tr(english), fmt::make_format_args(args...));
    } catch (const fmt::format_error&) {
      try {
        return fmt::vformat(english, fmt::make_format_args(args...));
      } catch (const fmt::format_error&) {
        return std::string(english);
      }
    }
  }

  // A Text in this language (English when the catalog lacks its key); a
  // field whose value is itself a catalog key (a status such as
  // "import-blocked", a measure such as "compute") is translated too.
  std::string render(const Text& text) const;

  // Every entry (key → translation), all tables merged.
  const Entries& entries() const { return entries_; }
  // The entries of one table ("report", "cli", "dashboard").
  Entries table(std::string_view name) const;
  // The language's own name ("简体中文").
  const std::string& name() const { return name_; }

 private:
  static Result<Messages> from_table(Lang lang, const toml::table& doc,
                                     const std::filesystem::path& file);

  Lang lang_ = Lang::kEn;
  std::string name_ = "English";
  Entries entries_;
  Entries table_of_;  // key → the table it came from
};

// The named fields of a message ("{n} of {total}" → {"n", "total"}), in
// order of first appearance; "{{" and "}}" are literal braces.
std::vector<std::string> message_fields(std::string_view text);

}  // namespace suanli
