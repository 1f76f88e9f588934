"""A BERT encoder from safetensors weights, without torch: an ONNX graph built here, and a plain
numpy forward pass that serves as its reference.

The graph uses onnxruntime's fused CPU operators (``com.microsoft`` domain:
``EmbedLayerNormalization``, ``Attention``, ``SkipLayerNormalization``, ``BiasGelu``), the same
ones ``onnxruntime.transformers.optimizer`` produces for an exported BERT; writing them directly
avoids relying on pattern matching over a torch export. ``quantize_dynamic`` then turns its
``MatMul`` and ``Attention`` nodes into int8 ``MatMulInteger`` / ``QAttention``.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Tensors of a safetensors file (8-byte little-endian header length, JSON header, raw
    little-endian buffers), memory-mapped, read-only."""
    with open(path, "rb") as fh:
        (size,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(size))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + size)
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        out[name] = data[start:end].view(_DTYPES[spec["dtype"]]).reshape(spec["shape"])
    return out


@dataclass(frozen=True)
class BertConfig:
    hidden: int = 384
    heads: int = 12
    layers: int = 6
    eps: float = 1e-12

    @classmethod
    def load(cls, path: Path) -> BertConfig:
        raw = json.loads(path.read_text())
        return cls(raw["hidden_size"], raw["num_attention_heads"], raw["num_hidden_layers"],
                   raw.get("layer_norm_eps", 1e-12))


# numpy reference ---------------------------------------------------------------------------


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    normed: np.ndarray = (x - mean) / np.sqrt(var + eps) * w + b
    return normed


def _gelu(x: np.ndarray) -> np.ndarray:
    from math import erf, sqrt

    gelu: np.ndarray = 0.5 * x * (1.0 + np.vectorize(erf, otypes=[np.float32])(x / sqrt(2.0)))
    return gelu


def _dense(x: np.ndarray, w: dict[str, np.ndarray], name: str) -> np.ndarray:
    dense: np.ndarray = x @ w[f"{name}.weight"].T + w[f"{name}.bias"]
    return dense


def numpy_forward(w: dict[str, np.ndarray], cfg: BertConfig, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Last hidden state (batch, seq, hidden) of BERT for token ids and a 0/1 attention mask."""
    batch, seq = ids.shape
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:seq]
    x = x + w["embeddings.token_type_embeddings.weight"][0]
    e = "embeddings.LayerNorm"
    x = _layer_norm(x, w[f"{e}.weight"], w[f"{e}.bias"], cfg.eps).astype(np.float32)
    head = cfg.hidden // cfg.heads
    bias = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
    for i in range(cfg.layers):
        p = f"encoder.layer.{i}"
        q, k, v = (
            _dense(x, w, f"{p}.attention.self.{n}").reshape(batch, seq, cfg.heads, head).transpose(0, 2, 1, 3)
            for n in ("query", "key", "value")
        )
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        ctx = (scores / scores.sum(-1, keepdims=True)) @ v
        ctx = ctx.transpose(0, 2, 1, 3).reshape(batch, seq, cfg.hidden)
        o = f"{p}.attention.output"
        x = _layer_norm(_dense(ctx, w, f"{o}.dense") + x, w[f"{o}.LayerNorm.weight"], w[f"{o}.LayerNorm.bias"], cfg.eps)
        h = _gelu(_dense(x, w, f"{p}.intermediate.dense"))
        o = f"{p}.output"
        x = _layer_norm(_dense(h, w, f"{o}.dense") + x, w[f"{o}.LayerNorm.weight"], w[f"{o}.LayerNorm.bias"], cfg.eps)
        x = x.astype(np.float32)
    return x


# ONNX graph --------------------------------------------------------------------------------


def build_onnx(w: dict[str, np.ndarray], cfg: BertConfig) -> Any:
    """An ``onnx.ModelProto``: inputs ``input_ids`` and ``attention_mask`` (int32, batch × seq,
    right-padded), output ``last_hidden_state`` (float32, batch × seq × hidden)."""
    from onnx import TensorProto, helper, numpy_helper

    inits: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value, dtype=np.float32), name))
        return name

    def ms(op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=output, domain="com.microsoft", **attrs))
        return output

    def matmul(x: str, weight: str, out: str) -> str:
        nodes.append(helper.make_node("MatMul", [x, const(f"{weight}.T", w[f"{weight}.weight"].T)], [out], name=out))
        return out

    e = "embeddings"
    # There is one token type (0): fold its embedding into the position table.
    position = w[f"{e}.position_embeddings.weight"] + w[f"{e}.token_type_embeddings.weight"][0]
    nodes.append(
        helper.make_node(
            "EmbedLayerNormalization",
            ["input_ids", "", const("word", w[f"{e}.word_embeddings.weight"]),
             const("position", position), "",
             const("emb_ln_w", w[f"{e}.LayerNorm.weight"]), const("emb_ln_b", w[f"{e}.LayerNorm.bias"]),
             "attention_mask"],
            ["emb", "mask_index"], name="embed", domain="com.microsoft", epsilon=cfg.eps,
        )
    )
    x = "emb"
    for i in range(cfg.layers):
        p = f"encoder.layer.{i}"
        s = f"{p}.attention.self"
        qkv_w = np.concatenate([w[f"{s}.{n}.weight"].T for n in ("query", "key", "value")], axis=1)
        qkv_b = np.concatenate([w[f"{s}.{n}.bias"] for n in ("query", "key", "value")])
        ctx = ms("Attention", [x, const(f"{s}.qkv_w", qkv_w), const(f"{s}.qkv_b", qkv_b), "mask_index"],
                 f"{p}.ctx", num_heads=cfg.heads)
        o = f"{p}.attention.output"
        proj = matmul(ctx, f"{o}.dense", f"{p}.proj")
        x = ms("SkipLayerNormalization",
               [proj, x, const(f"{o}.ln_w", w[f"{o}.LayerNorm.weight"]), const(f"{o}.ln_b", w[f"{o}.LayerNorm.bias"]),
                const(f"{o}.b", w[f"{o}.dense.bias"])], f"{p}.attn_out", epsilon=cfg.eps)
        inter = matmul(x, f"{p}.intermediate.dense", f"{p}.inter")
        act = ms("BiasGelu", [inter, const(f"{p}.inter_b", w[f"{p}.intermediate.dense.bias"])], f"{p}.gelu")
        out = matmul(act, f"{p}.output.dense", f"{p}.out")
        o = f"{p}.output"
        x = ms("SkipLayerNormalization",
               [out, x, const(f"{o}.ln_w", w[f"{o}.LayerNorm.weight"]), const(f"{o}.ln_b", w[f"{o}.LayerNorm.bias"]),
                const(f"{o}.b", w[f"{o}.dense.bias"])],
               "last_hidden_state" if i == cfg.layers - 1 else f"{p}.layer_out", epsilon=cfg.eps)
    graph = helper.make_graph(
        nodes, "bert",
        [helper.make_tensor_value_info(n, TensorProto.INT32, ["batch", "seq"]) for n in ("input_ids", "attention_mask")],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "seq", cfg.hidden])],
        inits,
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets, producer_name="paperatlas")
