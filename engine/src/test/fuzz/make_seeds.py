import struct, json, zlib, os, sys
root = sys.argv[1]
E = root + "/engine/src/test/resources/studio/pixart/engine/ParserFuzzTestInputs"
A = root + "/app/src/test/resources/studio/pixart/app/io/ImageSettingsFuzzTestInputs"
def w(d, name, data):
    os.makedirs(os.path.dirname(os.path.join(d, name)), exist_ok=True)
    open(os.path.join(d, name), "wb").write(data if isinstance(data, bytes) else data.encode())
# safetensors
def st(tensors, meta=None):
    header = {}
    data = b""
    for name, (dt, shape, raw) in tensors.items():
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if meta: header["__metadata__"] = meta
    h = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(h)) + h + data
d = E + "/safetensorsHeader"
w(d, "two-tensors", st({"w": ("F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)), "ids": ("I64", [3], struct.pack("<3q", 1, 2, 3))}, {"format": "pt"}))
w(d, "half-and-bf16", st({"h": ("F16", [2], struct.pack("<2H", 0x3c00, 0x4000)), "b": ("BF16", [1, 2], struct.pack("<2H", 0x3f80, 0x4000))}))
w(d, "scalar-and-empty", st({"s": ("F64", [], struct.pack("<d", 1.5)), "e": ("F32", [0, 4], b"")}))
w(d, "truncated", st({"w": ("F32", [4], struct.pack("<4f", 1, 2, 3, 4))})[:-5])
w(d, "overlap", struct.pack("<Q", 97) + b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}' + b"\0" * 4)
# configs
d = E + "/configJson"
g = root + "/engine/src/test/resources/golden/tiny-pixart-sigma/"
for comp, f in [("transformer", "config.json"), ("vae", "config.json"), ("text_encoder", "config.json"), ("scheduler", "scheduler_config.json")]:
    w(d, comp, open(g + comp + "/" + f).read())
w(d, "non-numeric", '{"beta_start": NaN, "lambda_min_clipped": -Infinity, "num_layers": 2.7, "sample_size": 1e8,}')
w(d, "nested", '{"block_out_channels": [[1], {"a": null}], "d_model": "16", "_class_name": null}')
# spiece.model
def varint(n):
    out = b""
    while True:
        b = n & 0x7f; n >>= 7
        if n: out += bytes([b | 0x80])
        else: return out + bytes([b])
def field(num, wire, payload):
    key = varint((num << 3) | wire)
    if wire == 2: return key + varint(len(payload)) + payload
    if wire == 0: return key + varint(payload)
    if wire == 5: return key + payload
def piece(text, score, typ):
    return field(1, 2, field(1, 2, text.encode()) + field(2, 5, struct.pack("<f", score)) + field(3, 0, typ))
pieces = [("<pad>", 0, 3), ("</s>", 0, 3), ("<unk>", 0, 2), ("\u2581", -1, 1), ("\u2581the", -2, 1), ("a", -3, 1), ("b", -3.5, 1),
          ("e", -3.2, 1), ("h", -3.3, 1), ("t", -3.1, 1), ("\u2581a", -2.5, 1), ("<extra_id_0>", 0, 4)]
proto = b"".join(piece(*p) for p in pieces)
proto += field(2, 2, field(3, 0, 1))  # trainer_spec.model_type = UNIGRAM
proto += field(3, 2, field(1, 2, b"identity") + field(3, 0, 1) + field(4, 0, 1) + field(5, 0, 1))
d = E + "/spieceModel"
w(d, "tiny-unigram", proto)
w(d, "real-head", open(g + "tokenizer/spiece.model", "rb").read()[:3000])
w(d, "bpe-type", b"".join(piece(*p) for p in pieces[:4]) + field(2, 2, field(3, 0, 2)))
# images: a PNG with tEXt parameters and iTXt JSON, a JPEG with an EXIF UserComment
def chunk(t, data):
    return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xffffffff)
ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
raw = b"".join(b"\0" + b"\x80\x40\x20" * 2 for _ in range(2))
params = "a red fox\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M, CFG scale: 4.5, Seed: 42, Size: 1024x768, Model: PixArt-Sigma"
meta = json.dumps({"prompt": "a red fox", "negative_prompt": "blurry", "seed": 42, "steps": 20, "guidance": 4.5, "sampler": "dpm", "width": 1024, "height": 768, "model": "PixArt-alpha/PixArt-Sigma-XL-2-1024-MS"})
itxt = b"pixart-studio\0\0\0\0\0" + meta.encode()
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"tEXt", b"parameters\0" + params.encode()) + chunk(b"iTXt", itxt) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
w(A, "readSettings/png-parameters-and-json", png)
png2 = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"tEXt", b"parameters\0" + params.encode()) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
w(A, "readSettings/png-parameters-only", png2)
comment = b"ASCII\0\0\0" + params.encode()
tiff = b"MM\0\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) + struct.pack(">HHII", 0x8769, 4, 1, 26) + struct.pack(">I", 0)
tiff += struct.pack(">H", 1) + struct.pack(">HHII", 0x9286, 7, len(comment), 44) + struct.pack(">I", 0) + comment
app1 = b"Exif\0\0" + tiff
jpg = b"\xff\xd8" + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + b"\xff\xda\0\x02" + b"\xff\xd9"
w(A, "readSettings/jpeg-exif-comment", jpg)
w(A, "readSettings/not-an-image", b"GIF89a....")
print("ok")
