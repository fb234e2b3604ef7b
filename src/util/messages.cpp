#include "util/messages.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include <fmt/args.h>

#include "util/toml_reader.h"

namespace suanli {

namespace {

// The tables a catalog may hold: one per front end.
constexpr std::string_view kTables[] = {"report", "cli", "dashboard"};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Result<void> add_table(Messages::Entries& entries, Messages::Entries& table_of, const TomlView& v,
                       std::string_view table_name) {
  for (const auto& [key, node] : v.table()) {
    const std::string english(key.str());
    const auto* text = node.as_string();
    if (text == nullptr) return std::unexpected(v.error(english, "expected a string (the translation)"));
    const std::string translation = text->get();
    if (english.empty() || translation.empty())
      return std::unexpected(v.error(english, "expected a non-empty key and translation"));
    auto fields = message_fields(english);
    auto translated = message_fields(translation);
    std::sort(fields.begin(), fields.end());
    std::sort(translated.begin(), translated.end());
    if (fields != translated)
      return std::unexpected(v.error(
          english, "the translation's {fields} differ from the English text's: a message must "
                   "name the same placeholders in every language"));
    const auto [it, fresh] = entries.try_emplace(english, translation);
    if (!fresh && it->second != translation)
      return std::unexpected(v.error(
          english, "translated differently in [" + table_of[english] +
                       "]: one English text has one translation in the whole catalog"));
    table_of.try_emplace(english, std::string(table_name));
  }
  return {};
}

}  // namespace

std::string_view lang_code(Lang lang) { return lang == Lang::kZh ? "zh" : "en"; }
std::string_view lang_html(Lang lang) { return lang == Lang::kZh ? "zh-CN" : "en"; }

const std::vector<Lang>& all_langs() {
  static const std::vector<Lang> langs = {Lang::kEn, Lang::kZh};
  return langs;
}

Result<Lang> parse_lang(std::string_view text) {
  std::string s = lower(text);
  if (const auto dot = s.find('.'); dot != std::string::npos) s.resize(dot);  // zh_CN.UTF-8
  if (const auto at = s.find('@'); at != std::string::npos) s.resize(at);
  std::replace(s.begin(), s.end(), '-', '_');
  if (s == "en" || s == "c" || s == "posix" || s.starts_with("en_")) return Lang::kEn;
  if (s == "zh" || s == "zh_cn" || s == "zh_hans" || s == "zh_sg" || s == "cn") return Lang::kZh;
  return fail(ErrorCode::kInvalidArgument,
              "unknown language '" + std::string(text) + "': expected one of en, zh");
}

Result<Lang> resolve_lang(std::string_view flag) {
  if (!flag.empty()) {
    auto lang = parse_lang(flag);
    if (!lang) return fail(ErrorCode::kInvalidArgument, "--lang: " + lang.error().message);
    return lang;
  }
  const char* env = std::getenv("SUANLI_LANG");
  if (env == nullptr || *env == '\0') return Lang::kEn;
  auto lang = parse_lang(env);
  if (!lang) return fail(ErrorCode::kInvalidArgument, "SUANLI_LANG: " + lang.error().message);
  return lang;
}

Result<Messages> Messages::load(Lang lang, const std::filesystem::path& data_dir) {
  if (lang == Lang::kEn) return Messages{};
  const auto file = data_dir / "i18n" / (std::string(lang_code(lang)) + ".toml");
  auto doc = parse_toml_file(file);
  if (!doc) return std::unexpected(doc.error());
  return from_table(lang, *doc, file);
}

Result<Messages> Messages::parse(Lang lang, std::string_view toml_text,
                                 const std::filesystem::path& file) {
  auto doc = parse_toml_text(toml_text, file);
  if (!doc) return std::unexpected(doc.error());
  return from_table(lang, *doc, file);
}

Result<Messages> Messages::from_table(Lang lang, const toml::table& doc,
                                      const std::filesystem::path& file) {
  const TomlView root(doc, file.string(), "");
  Messages m;
  m.lang_ = lang;
  auto language = root.subtable("language");
  if (!language) return std::unexpected(language.error());
  if (*language) {
    auto code = (*language)->required_string("code");
    if (!code) return std::unexpected(code.error());
    if (*code != lang_code(lang))
      return std::unexpected((*language)->error(
          "code", "expected '" + std::string(lang_code(lang)) + "' (the file's language)"));
    auto name = (*language)->required_string("name");
    if (!name) return std::unexpected(name.error());
    m.name_ = *name;
    SUANLI_TRY((*language)->finish());
  }
  for (std::string_view t : kTables) {
    auto table = root.subtable(t);
    if (!table) return std::unexpected(table.error());
    if (*table) SUANLI_TRY(add_table(m.entries_, m.table_of_, **table, t));
  }
  SUANLI_TRY(root.finish());
  return m;
}

std::string_view Messages::tr(std::string_view english) const {
  const auto it = entries_.find(english);
  return it == entries_.end() ? english : std::string_view(it->second);
}

Messages::Entries Messages::table(std::string_view name) const {
  Entries out;
  for (const auto& [key, t] : table_of_)
    if (t == name) out.emplace(key, entries_.at(key));
  return out;
}

namespace {

std::string render_text(std::string_view pattern, const Text& text) {
  fmt::dynamic_format_arg_store<fmt::format_context> store;
  for (const auto& [name, value] : text.args) store.push_back(fmt::arg(name.c_str(), value));
  try {
    return fmt::vformat(pattern, store);
  } catch (const fmt::format_error&) {
    return {};
  }
}

}  // namespace

std::string Text::english() const {
  std::string out = render_text(key, *this);
  return out.empty() && !key.empty() ? key : out;
}

std::string Messages::render(const Text& text) const {
  if (lang_ == Lang::kEn) return text.english();
  Text translated = text;  // a field that is itself a catalog key (a status, a measure) too
  for (auto& [name, value] : translated.args) value = std::string(tr(value));
  std::string out = render_text(tr(text.key), translated);
  return out.empty() ? text.english() : out;
}

std::vector<std::string> message_fields(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      ++i;
      continue;
    }
    if (text[i] != '{') continue;
    const auto close = text.find('}', i);
    if (close == std::string_view::npos) break;
    std::string field(text.substr(i + 1, close - i - 1));
    if (const auto colon = field.find(':'); colon != std::string::npos) field.resize(colon);
    if (std::find(out.begin(), out.end(), field) == out.end()) out.push_back(field);
    i = close;
  }
  return out;
}

}  // namespace suanli
