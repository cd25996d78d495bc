"""How fast could all-MiniLM-L6-v2 possibly embed on this CPU? Raw GEMM throughput.

Times the model's dense matrix products (per layer: QKV 384x1152, attention output
384x384, FFN 384x1536 and 1536x384) in isolation, for the engines the embedder can use:

* fp32 through numpy (the BLAS torch/numpy ship) and through ONNX Runtime ``MatMul``;
* int8 through ONNX Runtime ``MatMulInteger`` (u8 activations x s8 weights, the kernel
  the dynamically quantised model runs, without the activation quantisation; and u8 x u8
  weights, the other kernel AVX2 without VNNI has), and
  ``DynamicQuantizeMatMul`` (the fused op the int8 model actually runs: quantise the
  fp32 activations, int8 GEMM, rescale to fp32).

and prints the implied ceiling in abstracts/s at the mean token count of the benchmark
texts: all dense MACs at the measured GEMM rate plus the attention products (QK^T and
AV, fp32 in every recipe) at the fp32 rate, with nothing else (no layer norm, softmax,
GELU, tokenisation, padding or Python) costing any time. A real embedder stays below it.

    PYTHONPATH=src python bench/embed_ceiling.py                 # 2 threads, 187 tokens
    PYTHONPATH=src python bench/embed_ceiling.py --threads 1 --tokens 210
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

HIDDEN, FFN, LAYERS = 384, 1536, 6
# (K, N) of each dense product per layer; QKV fused as one 384x1152 (as the fused graph)
SHAPES = [(HIDDEN, 3 * HIDDEN), (HIDDEN, HIDDEN), (HIDDEN, FFN), (FFN, HIDDEN)]
DENSE_MACS_PER_TOKEN = LAYERS * sum(k * n for k, n in SHAPES)  # 10.6 M


def attention_macs_per_token(tokens: float) -> float:
    """QK^T and AV: each token attends to every token of its text, 384 wide, per layer."""
    return LAYERS * 2 * tokens * HIDDEN


def best_rate(run, macs: float, seconds: float) -> float:
    """Best-of-N MAC/s over about ``seconds`` of repetitions (after a warm-up call)."""
    run()
    best = float("inf")
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return macs / best


def numpy_fp32(rows: int, seconds: float) -> float:
    rng = np.random.default_rng(0)
    total, took = 0.0, 0.0
    for k, n in SHAPES:
        a = rng.standard_normal((rows, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        macs = rows * k * n
        rate = best_rate(lambda a=a, b=b: a @ b, macs, seconds)
        total, took = total + macs, took + macs / rate
    return total / took  # the shape mix's rate, weighted as in the model


def ort_session(kind: str, k: int, n: int, threads: int):  # type: ignore[no-untyped-def]
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    if kind == "fp32":
        weight = numpy_helper.from_array(rng.standard_normal((k, n)).astype(np.float32), "B")
        inputs = [helper.make_tensor_value_info("A", TensorProto.FLOAT, ["M", k])]
        nodes = [helper.make_node("MatMul", ["A", "B"], ["Y"])]
        out_type, inits = TensorProto.FLOAT, [weight]
    elif kind in ("int8", "u8u8"):
        if kind == "int8":
            weight = numpy_helper.from_array(rng.integers(-64, 64, (k, n), dtype=np.int8), "B")
        else:
            weight = numpy_helper.from_array(rng.integers(0, 256, (k, n), dtype=np.uint8), "B")
        inputs = [helper.make_tensor_value_info("A", TensorProto.UINT8, ["M", k])]
        zero = numpy_helper.from_array(np.array(128, dtype=np.uint8), "za")
        nodes = [helper.make_node("MatMulInteger", ["A", "B", "za"], ["Y"])]
        out_type, inits = TensorProto.INT32, [weight, zero]
    else:  # dq: DynamicQuantizeMatMul, per-channel scales as the int8 recipes
        weight = numpy_helper.from_array(rng.integers(-64, 64, (k, n), dtype=np.int8), "B")
        scale = numpy_helper.from_array(np.full(n, 0.01, dtype=np.float32), "bs")
        zero = numpy_helper.from_array(np.zeros(n, dtype=np.int8), "bz")
        inputs = [helper.make_tensor_value_info("A", TensorProto.FLOAT, ["M", k])]
        nodes = [
            helper.make_node(
                "DynamicQuantizeMatMul", ["A", "B", "bs", "bz"], ["Y"], domain="com.microsoft"
            )
        ]
        out_type, inits = TensorProto.FLOAT, [weight, scale, zero]
    graph = helper.make_graph(
        nodes, kind, inputs, [helper.make_tensor_value_info("Y", out_type, ["M", n])], inits
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    )
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def ort_rate(kind: str, rows: int, threads: int, seconds: float) -> float:
    rng = np.random.default_rng(1)
    total, took = 0.0, 0.0
    for k, n in SHAPES:
        session = ort_session(kind, k, n, threads)
        if kind in ("int8", "u8u8"):
            a = rng.integers(0, 256, (rows, k), dtype=np.uint8)
        else:
            a = rng.standard_normal((rows, k), dtype=np.float32)
        macs = rows * k * n
        rate = best_rate(lambda s=session, a=a: s.run(None, {"A": a}), macs, seconds)
        total, took = total + macs, took + macs / rate
    return total / took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--tokens",
        type=float,
        default=187.4,
        help="mean word pieces per abstract (the bench texts: 187.4)",
    )
    parser.add_argument("--rows", type=int, default=4096, help="token rows per GEMM call")
    parser.add_argument("--seconds", type=float, default=1.5, help="timing per shape and engine")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    except ImportError:
        pass
    import onnxruntime

    tokens = args.tokens
    dense = DENSE_MACS_PER_TOKEN * tokens
    attention = attention_macs_per_token(tokens) * tokens
    print(
        f"threads={args.threads} rows/GEMM={args.rows} onnxruntime {onnxruntime.__version__}, "
        f"numpy {np.__version__}; per abstract of {tokens:g} word pieces: "
        f"{dense / 1e9:.2f} G dense MACs + {attention / 1e9:.2f} G attention MACs"
    )
    rates = {
        "numpy fp32 (BLAS)": numpy_fp32(args.rows, args.seconds),
        "ORT fp32 MatMul": ort_rate("fp32", args.rows, args.threads, args.seconds),
        "ORT int8 MatMulInteger (u8 x s8)": ort_rate("int8", args.rows, args.threads, args.seconds),
        "ORT int8 MatMulInteger (u8 x u8)": ort_rate("u8u8", args.rows, args.threads, args.seconds),
        "ORT int8 DynamicQuantizeMatMul": ort_rate("dq", args.rows, args.threads, args.seconds),
    }
    fp32 = max(rates["numpy fp32 (BLAS)"], rates["ORT fp32 MatMul"])
    print()
    print("| GEMM engine | G MAC/s | GFLOP/s | G MAC/s per thread | ceiling abstracts/s |")
    print("|---|---|---|---|---|")
    for name, rate in rates.items():
        ceiling = 1.0 / (dense / rate + attention / fp32)
        print(
            f"| {name} | {rate / 1e9:.1f} | {2 * rate / 1e9:.1f} "
            f"| {rate / 1e9 / args.threads:.1f} | {ceiling:.0f} |"
        )


if __name__ == "__main__":
    main()
