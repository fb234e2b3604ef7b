// `suanli token create|list|revoke`: API tokens of the service's store
// (docs/store.md). A token's secret is printed once, at creation; the store
// keeps only its SHA-256.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "app/app.h"
#include "store/store.h"
#include "util/table.h"

namespace suanli::app {

namespace {

struct TokenState {
  std::string db;
  std::string data_dir = "suanli-data";
  std::string name;
  bool read_only = false;
  bool json = false;
  std::int64_t id = 0;
};

// create and revoke write (the store's writer lock: refused, exit 2, while
// `suanli serve` runs on the store); list only reads.
Result<std::unique_ptr<store::Store>> open_store(const TokenState& s,
                                                 store::StoreAccess access) {
  return store::Store::open(s.db.empty() ? store::default_store_url(s.data_dir) : s.db, access);
}

nlohmann::json token_json(const store::TokenRecord& t) {
  nlohmann::json j{{"id", t.id},
                   {"name", t.name},
                   {"can_write", t.can_write},
                   {"access", t.can_write ? "write" : "read"},
                   {"created_at", t.created_at}};
  j["revoked_at"] = t.revoked_at ? nlohmann::json(*t.revoked_at) : nlohmann::json(nullptr);
  return j;
}

int run_create(Context& ctx, const TokenState& s) {
  auto st = open_store(s, store::StoreAccess::kWrite);
  if (!st) return ctx.report(st.error());
  auto created = (*st)->create_token(s.name, !s.read_only);
  if (!created) return ctx.report(created.error());
  const auto& t = created->record;
  if (s.json) {
    auto j = token_json(t);
    j["secret"] = created->secret;
    ctx.out() << j.dump(2) << "\n";
    ctx.err() << "the secret is not shown again: store it now\n";
    return kExitOk;
  }
  ctx.out() << fmt::format("created token {} '{}' ({})\n", t.id, t.name,
                           t.can_write ? "read and write" : "read only")
            << fmt::format("secret: {}\n", created->secret)
            << "Store the secret now: it is not shown again (only its SHA-256 is kept).\n"
            << "Use it as: Authorization: Bearer <secret>\n";
  return kExitOk;
}

int run_list(Context& ctx, const TokenState& s) {
  auto st = open_store(s, store::StoreAccess::kRead);
  if (!st) return ctx.report(st.error());
  auto tokens = (*st)->list_tokens();
  if (!tokens) return ctx.report(tokens.error());
  if (s.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& t : *tokens) arr.push_back(token_json(t));
    ctx.out() << arr.dump(2) << "\n";
    return kExitOk;
  }
  if (tokens->empty()) {
    ctx.out() << "no tokens (create one with `suanli token create NAME`)\n";
    return kExitOk;
  }
  TextTable table({"id", "name", "access", "created", "revoked"});
  table.set_right_aligned({0});
  for (const auto& t : *tokens)
    table.add_row({std::to_string(t.id), t.name, t.can_write ? "write" : "read", t.created_at,
                   t.revoked_at.value_or("-")});
  ctx.out() << table.render();
  return kExitOk;
}

int run_revoke(Context& ctx, const TokenState& s) {
  auto st = open_store(s, store::StoreAccess::kWrite);
  if (!st) return ctx.report(st.error());
  if (auto r = (*st)->revoke_token(s.id); !r) return ctx.report(r.error());
  ctx.out() << fmt::format("revoked token {}\n", s.id);
  return kExitOk;
}

}  // namespace

void register_token(CLI::App& app, Context& ctx) {
  auto state = std::make_shared<TokenState>();
  auto* cmd = app.add_subcommand(
      "token",
      "API tokens of the service's store (docs/store.md): create one (its secret is shown "
      "once), list them, revoke one");
  cmd->require_subcommand(1);
  auto* db = cmd->add_option("--db", state->db,
                             "Store URL: sqlite:PATH or postgresql://USER@HOST:PORT/DB "
                             "(default sqlite:DATA_DIR/suanli.db)");
  auto* dir = cmd->add_option("--data-dir", state->data_dir,
                              "Service data directory holding suanli.db (default suanli-data)");
  db->excludes(dir);

  auto* create = cmd->add_subcommand("create", "Create a token and print its secret (once)");
  create->fallthrough();
  create->add_option("name", state->name, "A name saying who or what uses it")->required();
  create->add_flag("--read-only", state->read_only, "Read access only (no writes)");
  create->add_flag("--json", state->json, "Print JSON");
  create->callback(
      [&ctx, state] { ctx.action() = [&ctx, state] { return run_create(ctx, *state); }; });

  auto* list = cmd->add_subcommand("list", "List tokens: id, name, access, created, revoked");
  list->fallthrough();
  list->add_flag("--json", state->json, "Print JSON");
  list->callback([&ctx, state] { ctx.action() = [&ctx, state] { return run_list(ctx, *state); }; });

  auto* revoke = cmd->add_subcommand("revoke", "Revoke a token by ID (kept, marked revoked)");
  revoke->fallthrough();
  revoke->add_option("id", state->id, "The token's ID (see `suanli token list`)")->required();
  revoke->callback(
      [&ctx, state] { ctx.action() = [&ctx, state] { return run_revoke(ctx, *state); }; });
}

}  // namespace suanli::app
