package studio.pixart.engine.io;

/** IEEE 754 half-precision conversions (Java 17 has none; Float.float16ToFloat came in Java 20). */
public final class Half {
    private Half() {}

    public static float toFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            // subnormal half: value = mant * 2^-24
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Round-to-nearest-even conversion, overflow to infinity, as torch's .half(). */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) {
            return (short) (sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0));
        }
        if (abs >= 0x477ff000) { // rounds to >= 65520: infinity
            return (short) (sign | 0x7c00);
        }
        if (abs < 0x38800000) { // below the smallest normal half: subnormal or zero
            float v = Float.intBitsToFloat(abs) * 0x1p24f; // in units of 2^-24
            int m = Math.round(v);
            // Math.round rounds half up; correct ties to even
            if (Math.abs(v - (m - 1) - 0.5f) == 0 && (m & 1) == 1) {
                m -= 1;
            }
            return (short) (sign | m);
        }
        int exp = ((abs >>> 23) - 112) << 10;
        int mant = abs & 0x7fffff;
        int half = exp | (mant >>> 13);
        int rest = mant & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
            half++;
        }
        return (short) (sign | half);
    }
}
