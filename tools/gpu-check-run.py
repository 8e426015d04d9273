#!/usr/bin/env python3
"""The measuring half of gpu-check.sh: runs the engine's commands, watches each one's peak GPU
memory (nvidia-smi, whole device) and peak resident memory (/proc/PID/status VmHWM), and prints
one Markdown table. The table is rewritten after every row (DIR/gpu-check.md), so a run cut
short by its time limit still leaves what it measured; each command's output is in LOGS/<row>.log,
packed into DIR/gpu-check-logs.tar.gz after every row.

Settings (environment; the time budget comes from gpu-check.sh as --deadline): GPU_CHECK_DTYPES (golden cases; default float32,float16),
GPU_CHECK_BENCH_SIZES (default 512,1024,2048 on a GPU, 64 on the CPU), GPU_CHECK_BENCH_STEPS,
GPU_CHECK_BENCH_LIMIT_S (seconds per bench row, default 240 on a GPU, 900 on the CPU),
GPU_CHECK_POSTER (WxH, default 3840x2160 on a GPU, 256x144 on the CPU), GPU_CHECK_E2E_STEPS
(default 20), GPU_CHECK_REAL_SIZE (1, the default = write and use the random pipeline of
`pixart rehearse` when the engine has it; 0 = the tiny pipeline), GPU_CHECK_REHEARSE_LAYOUT
(sigma-1024, the published sizes, on a GPU; mini on the CPU).
"""
import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import threading
import time

PROMPT = "A small cabin on a snowy mountain at sunrise, detailed, warm light"


def rate(gflops):
    """A FLOP rate in the unit that suits it."""
    return f"{gflops / 1000:.1f} TFLOP/s" if gflops >= 1000 else f"{gflops:.2f} GFLOP/s"


class Watch:
    """Peak memory of a running process: VmHWM of the process, memory.used of GPU 0."""

    def __init__(self, pid, gpu):
        self.pid = pid
        self.rss_peak = 0
        self.gpu_peak = None
        self._stop = threading.Event()
        self._smi = None
        if gpu and shutil.which("nvidia-smi"):
            self._smi = subprocess.Popen(
                ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0", "-lms", "100"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            threading.Thread(target=self._read_smi, daemon=True).start()
        threading.Thread(target=self._read_rss, daemon=True).start()

    def _read_smi(self):
        for line in self._smi.stdout:
            try:
                mib = float(line.strip())
            except ValueError:
                continue
            self.gpu_peak = max(self.gpu_peak or 0.0, mib * 1024 * 1024)

    def _read_rss(self):
        path = f"/proc/{self.pid}/status"
        while not self._stop.is_set():
            try:
                with open(path) as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            self.rss_peak = max(self.rss_peak, int(line.split()[1]) * 1024)
            except OSError:
                return
            time.sleep(0.05)

    def stop(self):
        self._stop.set()
        if self._smi:
            self._smi.terminate()
            try:
                self._smi.wait(2)
            except subprocess.TimeoutExpired:
                self._smi.kill()


class Check:
    def __init__(self, args, java):
        self.args = args
        self.java = java
        self.gpu = args.device == "cuda"
        self.rows = []
        self.start = time.time()
        self.deadline = float(args.deadline) if args.deadline else self.start + 540
        self.md = os.path.join(args.out, "gpu-check.md")
        # the published PixArt-Σ 1024 sizes on a GPU; its scaled-down twin on a CPU rehearsal
        self.layout = os.environ.get("GPU_CHECK_REHEARSE_LAYOUT", "sigma-1024" if self.gpu else "mini")
        self.header = self._header()

    # ------------------------------------------------------------------ running
    def run(self, name, cli_args, limit):
        """Runs one engine command; returns (rc, output, seconds, rss_peak, gpu_peak, timed_out)."""
        remaining = self.deadline - time.time()
        limit = max(1.0, min(limit, remaining))
        log = os.path.join(self.args.logs, name + ".log")
        argv = self.java + cli_args
        t0 = time.time()
        with open(log, "w") as f:
            f.write("$ " + " ".join(argv) + "\n")
            f.flush()
            proc = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT)
            watch = Watch(proc.pid, self.gpu)
            timed_out = False
            try:
                rc = proc.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                timed_out = True
                proc.kill()
                rc = proc.wait()
            watch.stop()
        seconds = time.time() - t0
        with open(log) as f:
            output = f.read()
        sys.stderr.write(f"[gpu-check] {name}: rc {rc}, {seconds:.1f} s{' (time limit)' if timed_out else ''}\n")
        return rc, output, seconds, watch.rss_peak, watch.gpu_peak, timed_out

    def out_of_time(self):
        return time.time() >= self.deadline - 5

    def add(self, check, setting, result, seconds=None, gpu=None, rss=None, anchor=""):
        self.rows.append((check, setting, result, seconds, gpu, rss, anchor))
        self.write()

    def skipped(self, check, setting, why):
        self.add(check, setting, "not run: " + why)

    @staticmethod
    def failure(rc, output, timed_out, seconds):
        if timed_out:
            return f"TIMED OUT after {seconds:.0f} s"
        errors = [l for l in output.splitlines() if l.startswith("error:") or "Exception" in l]
        return f"FAILED (exit {rc}): " + (errors[0][:160] if errors else output.strip().splitlines()[-1][:160] if output.strip() else "no output")

    # ------------------------------------------------------------------ the checks
    def goldens(self):
        for dtype in os.environ.get("GPU_CHECK_DTYPES", "float32,float16").split(","):
            setting = f"{self.args.device} {dtype}"
            if self.out_of_time():
                self.skipped("golden pipeline cases", setting, "time budget spent")
                continue
            rc, out, sec, rss, gpu, to = self.run(f"goldens-{dtype}", [
                "bench", "--goldens", os.path.join(self.args.bundle, "golden"),
                "--device", self.args.device, "--dtype", dtype], 300)
            cases = 0
            for line in out.splitlines():
                m = re.match(r"^(pipe_\S+)\s+(\S+)\s+(\S+)\s+([\d.]+)\s+(\S+)\s+(\S+)\s+(\S+)\s+([\d.]+)\s+(.*)$", line)
                if m:
                    cases += 1
                    self.add(f"golden {m.group(1)}", setting,
                             f"embeds {m.group(5)} · latents {m.group(6)} · image {m.group(7)} ({m.group(8)}/255) — {m.group(9)}",
                             float(m.group(4)))
                    continue
                m = re.match(r"^(pipe_\S+)\s+(\S+)\s+(\S+)\s+error: (.*)$", line)
                if m:
                    cases += 1
                    self.add(f"golden {m.group(1)}", setting, "ERROR: " + m.group(4)[:160])
            summary = next((l for l in out.splitlines() if "cases within their rule" in l), None)
            if summary and not to:
                self.add("golden cases, all", setting, summary, sec, gpu, rss,
                         "float32 rule 1e-4; float16: image within 1/255")
            else:
                self.add("golden cases, all", setting, self.failure(rc, out, to, sec), sec, gpu, rss)

    def bench(self):
        sizes = os.environ.get("GPU_CHECK_BENCH_SIZES", "512,1024,2048" if self.gpu else "64").split(",")
        steps = os.environ.get("GPU_CHECK_BENCH_STEPS", "5" if self.gpu else "1")
        dtype = "float16" if self.gpu else "float32"
        for size in sizes:
            setting = f"{self.args.device} {dtype}, CFG, {steps} steps"
            if self.out_of_time():
                self.skipped(f"bench XL {size} px", setting, "time budget spent")
                continue
            # the reference matmul: long enough to time on a GPU, short on a slow CPU
            cmd = ["bench", "--size", size, "--steps", steps, "--device", self.args.device, "--dtype", dtype,
                   "--matmul", "8192" if self.gpu else "1024"]
            limit = float(os.environ.get("GPU_CHECK_BENCH_LIMIT_S", "240" if self.gpu else "900"))
            rc, out, sec, rss, gpu, to = self.run(f"bench-{size}", cmd, limit)
            per_step = re.search(r"seconds per step \(median of \d+\): ([\d.]+)", out)
            achieved = re.search(r"achieved: ([\d.]+) GFLOP/s = ([\d.]+) TFLOP/s; matmul: ([\d.]+) GFLOP/s; ratio ([\d.]+)", out)
            flops = re.search(r"FLOPs per step: ([\d.]+) TFLOP", out)
            java_gpu = re.search(r"peak GPU memory: ([\d.]+) GB in use", out)
            if rc == 0 and per_step and achieved:
                result = (f"{float(per_step.group(1)):.3f} s/step · {flops.group(1)} TFLOP/step · "
                          f"{rate(float(achieved.group(1)))} achieved ({achieved.group(4)} of a {dtype} matmul's "
                          f"{rate(float(achieved.group(3)))})")
                if java_gpu:
                    result += f" · GPU memory in use {java_gpu.group(1)} GB (cudaMemGetInfo)"
            else:
                result = self.failure(rc, out, to, sec)
            self.add(f"bench XL {size} px", setting, result, sec, gpu, rss,
                     "diffusers A100: 1024 px, 20 steps CFG ≈ 2.7 s" if size == "1024" else "")

    def real_size_folder(self):
        """The published PixArt-Σ 1024 layout with random weights, if the engine can write it."""
        if os.environ.get("GPU_CHECK_REAL_SIZE", "1") != "1":
            return None, "real size off (GPU_CHECK_REAL_SIZE=0)"
        usage = subprocess.run(self.java + ["--help"], capture_output=True, text=True).stdout
        if not re.search(r"^\s+rehearse\b", usage, re.M):
            return None, "this engine has no `pixart rehearse`"
        if self.out_of_time():
            return None, "time budget spent"
        rc, out, sec, rss, gpu, to = self.run("rehearse-load", [
            "rehearse", "--dir", os.path.join(self.args.work, "rehearsal"), "--layout", self.layout, "--stages", "load",
            "--device", self.args.device, "--dtype", "float16" if self.gpu else "float32"], 420)
        folder = re.search(r"pipeline folder: (\S+) \(([\d.]+) s to prepare", out)
        load = re.search(r"\|\s*load\s*\|\s*([\d.]+)\s*\|", out)
        if rc != 0 or not folder:
            self.add("real-size random pipeline", "T5-XXL + XL + SDXL VAE", self.failure(rc, out, to, sec), sec, gpu, rss)
            return None, "writing the real-size folder failed"
        self.add("real-size random pipeline" if self.layout == "sigma-1024" else f"random pipeline, layout {self.layout}",
                 "write (once) + load on " + self.args.device,
                 f"folder ready in {float(folder.group(2)):.1f} s" + (f", load {float(load.group(1)):.1f} s" if load else ""),
                 sec, gpu, rss)
        return folder.group(1), None

    def e2e_and_poster(self, stages):
        folder, why = self.real_size_folder()
        tiny = folder is None
        if tiny:
            folder = os.path.join(self.args.bundle, "golden", "tiny-pixart-sigma")
        real = not tiny and self.layout == "sigma-1024"  # only then do the anchors compare like with like
        label = ("tiny pipeline (" + why + ")" if tiny
                 else "real sizes, random weights" if self.layout == "sigma-1024" else f"random weights, layout {self.layout}")
        steps = os.environ.get("GPU_CHECK_E2E_STEPS", "20")
        if "e2e" in stages:
            # small pipelines (sample size 8 or 16) have no aspect-ratio bins: unbinned at their size
            if tiny:
                size, px = ["--no-binning"], "tiny default size"
            elif self.layout == "sigma-1024":
                size, px = ["--width", "1024", "--height", "1024"], "1024 px"
            else:
                size, px = ["--width", "128", "--height", "128", "--no-binning"], "128 px"
            setting = f"{self.args.device}, {steps} steps CFG, {px}"
            if self.out_of_time():
                self.skipped("generate end to end", setting, "time budget spent")
            else:
                rc, out, sec, rss, gpu, to = self.run("generate-e2e", [
                    "generate", "--model", folder, "--prompt", PROMPT, "--steps", steps, "--seed", "1",
                    "--device", self.args.device] + size + ["--out", os.path.join(self.args.work, "e2e.png")], 420)
                done = re.search(r"done in ([\d.]+) s \(([^)]*)\)", out)
                result = (f"{float(done.group(1)):.2f} s without loading ({done.group(2)}); {label}" if rc == 0 and done
                          else self.failure(rc, out, to, sec))
                self.add("generate end to end", setting, result, sec, gpu, rss,
                         "diffusers A100 ≈ 2.7 s" if real else "")
        if "poster" in stages:
            w, h = os.environ.get("GPU_CHECK_POSTER", "3840x2160" if self.gpu else "256x144").split("x")
            for kv in ("on", "off"):
                setting = f"{self.args.device}, {w}×{h}, KV compression {kv}"
                if self.out_of_time():
                    self.skipped("poster path", setting, "time budget spent")
                    continue
                rc, out, sec, rss, gpu, to = self.run(f"poster-kv-{kv}", [
                    "poster", "--model", folder, "--prompt", PROMPT, "--width", w, "--height", h, "--seed", "1",
                    "--kv-compress", kv, "--device", self.args.device,
                    "--out", os.path.join(self.args.work, f"poster-kv-{kv}.png")], 420)
                done = re.findall(r"done in ([\d.]+) s", out)
                timings = re.search(r"timings \(ms\): \{([^}]*)\}", out)
                result = (f"{float(done[-1]):.1f} s after loading" + (f" ({timings.group(1)} ms)" if timings else "") + f"; {label}"
                          if rc == 0 and done else self.failure(rc, out, to, sec))
                self.add("poster path", setting, result, sec, gpu, rss,
                         "one GPU, 4096 px without tricks ≈ 245 s" if kv == "off" and real else "")

    # ------------------------------------------------------------------ the table
    def _header(self):
        gpu_line = "no GPU (CPU rehearsal)"
        if shutil.which("nvidia-smi"):
            q = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                               capture_output=True, text=True)
            if q.returncode == 0 and q.stdout.strip():
                gpu_line = q.stdout.strip().splitlines()[0]
        info_path = os.path.join(self.args.bundle, "BUNDLE_INFO")
        bundle = open(info_path).read().strip().splitlines()[1] if os.path.exists(info_path) else "?"
        jni_secs = os.path.join(os.path.dirname(self.args.jni), "BUILD_SECONDS")
        jni = f"built in {open(jni_secs).read().strip()} s" if os.path.exists(jni_secs) else "built"
        load = os.getloadavg()[0]
        return [
            f"GPU check, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC — GPU: {gpu_line} "
            f"({self.args.gpu_name or 'none visible to torch'}); PyTorch {self.args.torch}, flavor {self.args.flavor}; "
            f"DJL 0.33.0 JNI {jni} against it; {os.cpu_count()} CPU threads, load average {load:.2f} at the start; "
            f"bundle {bundle}.",
            "Command: `bash gpu-check.sh` from a bundle of `tools/gpu-bundle.sh`; each row's command and output is in gpu-check-logs.tar.gz (logs/<row>.log).",
        ]

    def table(self):
        lines = list(self.header) + ["",
                 "| # | check | setting | result | seconds (wall) | peak GPU GB | peak RSS GB | anchor |",
                 "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for i, (check, setting, result, sec, gpu, rss, anchor) in enumerate(self.rows, 1):
            lines.append("| {} | {} | {} | {} | {} | {} | {} | {} |".format(
                i, check, setting, result.replace("|", "/"),
                f"{sec:.1f}" if sec is not None else "",
                f"{gpu / 1e9:.1f}" if gpu else "",
                f"{rss / 1e9:.2f}" if rss else "", anchor))
        lines.append("")
        lines.append(f"Total {time.time() - self.start:.0f} s. Peak GPU GB: nvidia-smi memory.used of the whole device, "
                     "sampled every 100 ms; peak RSS: VmHWM of the Java process.")
        return "\n".join(lines)

    def write(self):
        tmp = self.md + ".tmp"
        with open(tmp, "w") as f:
            f.write(self.table() + "\n")
        os.replace(tmp, self.md)
        logs = os.path.abspath(self.args.logs)
        subprocess.run(["tar", "-C", os.path.dirname(logs), "-czf", os.path.join(self.args.out, "gpu-check-logs.tar.gz"),
                        os.path.basename(logs)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        sys.exit("gpu-check-run: expected -- JAVA COMMAND")
    cut = argv.index("--")
    ap = argparse.ArgumentParser()
    for opt in ("--bundle", "--out", "--logs", "--work", "--stages", "--device", "--torch", "--flavor", "--gpu-name", "--jni",
                "--deadline"):
        ap.add_argument(opt, default="")
    args = ap.parse_args(argv[:cut])
    check = Check(args, argv[cut + 1:])
    stages = args.stages.split(",")
    if "goldens" in stages:
        check.goldens()
    if "bench" in stages:
        check.bench()
    if "e2e" in stages or "poster" in stages:
        check.e2e_and_poster(stages)
    check.write()
    print(check.table())


if __name__ == "__main__":
    main()
