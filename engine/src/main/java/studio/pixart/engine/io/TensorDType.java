package studio.pixart.engine.io;

/** The element types of the safetensors format, with their sizes in bytes. */
public enum TensorDType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1),
    F8_E4M3(1), F8_E5M2(1), U16(2), U32(4), U64(8);

    public final int bytes;

    TensorDType(int bytes) {
        this.bytes = bytes;
    }

    /** Null when the name is not a safetensors dtype. */
    public static TensorDType parse(String name) {
        for (TensorDType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }
}
