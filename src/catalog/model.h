// Transformer model architecture as loaded from data/models/*.toml.
#pragma once

#include <optional>
#include <string>

namespace suanli {

enum class MlpKind { kGelu, kSwiglu };  // 2-matrix vs gated 3-matrix MLP

struct MoeSpec {
  int experts = 0;             // routed experts per MoE layer
  int top_k = 0;               // routed experts active per token
  int shared_experts = 0;      // always-active experts per MoE layer
  int expert_ffn = 0;          // intermediate size of one expert
  int first_dense_layers = 0;  // leading layers with a dense MLP of size `ffn`
};

// DeepSeek multi-head latent attention.
struct MlaSpec {
  int q_lora_rank = 0;  // 0: queries projected directly
  int kv_lora_rank = 512;
  int qk_nope_head_dim = 128;
  int qk_rope_head_dim = 64;
  int v_head_dim = 128;
};

struct ModelArch {
  std::string id;
  std::string name;
  std::string source;
  std::string confidence = "verified";
  int layers = 0;
  int hidden = 0;
  int heads = 0;
  int kv_heads = 0;  // = heads for MHA
  int head_dim = 0;  // = hidden / heads unless the file says otherwise
  int ffn = 0;       // dense MLP intermediate size
  int vocab = 0;
  MlpKind mlp = MlpKind::kSwiglu;
  bool tied_embeddings = false;
  bool dropout = false;  // trained with dropout (GPT-3 era): masks are kept as activations
  // The weights as released: FP8 for models trained and shipped in FP8
  // (DeepSeek-V3/R1, Kimi-K2). Serving defaults to it where the chip has it.
  bool native_fp8 = false;
  int max_seq = 0;
  int default_seq = 0;
  long long default_global_batch_tokens = 0;
  std::optional<MoeSpec> moe;
  std::optional<MlaSpec> mla;
  double stated_params_b = 0;  // as published, billions (0: not stated)
  double stated_active_b = 0;
  std::string defined_at;
  std::string params_defined_at;  // "file:line" of params_b / active_params_b
  std::string active_defined_at;

  bool is_moe() const { return moe.has_value() && moe->experts > 0; }
};

// Parameter counts from the architecture (embeddings included; norms and
// biases ignored: < 0.1% of any model here).
struct ParamCount {
  double total = 0;      // all parameters
  double active = 0;     // used per token (MoE: top-k + shared experts)
  double embedding = 0;  // input embedding (+ output layer unless tied)
  double per_layer_attn = 0;
  double per_dense_mlp = 0;  // one dense MLP block
  double per_expert = 0;     // one routed/shared expert
};
ParamCount count_params(const ModelArch& m);

// Builds an anonymous architecture from the CLI's shape flags (dense GQA).
ModelArch make_custom_model(int layers, int hidden, int heads, int kv_heads, int ffn, int vocab,
                            MlpKind mlp);

}  // namespace suanli
