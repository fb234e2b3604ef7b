#include "catalog/model.h"

namespace suanli {

ParamCount count_params(const ModelArch& m) {
  ParamCount p;
  const double h = m.hidden;
  const double head_dim = m.head_dim > 0 ? m.head_dim : (m.heads > 0 ? h / m.heads : 0);
  const double kv = m.kv_heads > 0 ? m.kv_heads : m.heads;
  if (m.mla) {
    const auto& a = *m.mla;
    const double qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
    const double q =
        a.q_lora_rank > 0 ? h * a.q_lora_rank + a.q_lora_rank * m.heads * qk : h * m.heads * qk;
    const double kv_down = h * (a.kv_lora_rank + a.qk_rope_head_dim);
    const double kv_up = a.kv_lora_rank * m.heads * (a.qk_nope_head_dim + a.v_head_dim);
    const double o = m.heads * a.v_head_dim * h;
    p.per_layer_attn = q + kv_down + kv_up + o;
  } else {
    p.per_layer_attn = h * m.heads * head_dim * 2 + 2 * h * kv * head_dim;
  }
  const double mats = m.mlp == MlpKind::kSwiglu ? 3.0 : 2.0;
  p.per_dense_mlp = mats * h * m.ffn;
  p.embedding = static_cast<double>(m.vocab) * h * (m.tied_embeddings ? 1.0 : 2.0);
  double total = p.embedding + m.layers * p.per_layer_attn;
  double active = total;
  if (m.is_moe()) {
    const auto& e = *m.moe;
    p.per_expert = mats * h * e.expert_ffn;
    const int dense = e.first_dense_layers;
    const int moe_layers = m.layers - dense;
    const double router = h * e.experts;
    total += dense * p.per_dense_mlp +
             moe_layers * ((e.experts + e.shared_experts) * p.per_expert + router);
    active += dense * p.per_dense_mlp +
              moe_layers * ((e.top_k + e.shared_experts) * p.per_expert + router);
  } else {
    total += m.layers * p.per_dense_mlp;
    active = total;
  }
  p.total = total;
  p.active = active;
  return p;
}

ModelArch make_custom_model(int layers, int hidden, int heads, int kv_heads, int ffn, int vocab,
                            MlpKind mlp) {
  ModelArch m;
  m.id = "custom";
  m.name = "custom transformer";
  m.source = "command-line shape";
  m.layers = layers;
  m.hidden = hidden;
  m.heads = heads;
  m.kv_heads = kv_heads > 0 ? kv_heads : heads;
  m.head_dim = heads > 0 ? hidden / heads : 0;
  m.ffn = ffn > 0 ? ffn : 4 * hidden;
  m.vocab = vocab;
  m.mlp = mlp;
  m.max_seq = 0;
  return m;
}

}  // namespace suanli
