package studio.pixart.engine.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import studio.pixart.engine.io.ConfigException;

/**
 * A {@code scheduler_config.json} seen through one scheduler class, the way diffusers'
 * {@code Cls.from_config(config)} sees it: keys the class does not declare are ignored, absent
 * keys take the class default, and an explicit JSON {@code null} is Python's {@code None}.
 * Values of the wrong type, and options this engine does not implement, are errors naming the
 * class and key.
 */
final class SchedulerConfig {
    final String className;
    private final JsonNode node;

    SchedulerConfig(String className, JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new ConfigException(className + ": scheduler config must be a JSON object");
        }
        this.className = className;
        this.node = node;
    }

    private JsonNode get(String key) {
        JsonNode v = node.get(key);
        return v == null || v.isNull() ? null : v;
    }

    boolean isNull(String key) {
        return node.has(key) && node.get(key).isNull();
    }

    int integer(String key, int def) {
        JsonNode v = get(key);
        if (v == null) {
            if (isNull(key)) {
                throw invalid(key, "null", "an integer");
            }
            return def;
        }
        if (!v.isIntegralNumber() && !(v.isNumber() && v.asDouble() == Math.rint(v.asDouble()))) {
            throw invalid(key, v.toString(), "an integer");
        }
        if (!v.canConvertToInt() && v.isIntegralNumber()) {
            throw invalid(key, v.toString(), "a 32-bit integer");
        }
        return (int) v.asDouble();
    }

    double number(String key, double def) {
        JsonNode v = get(key);
        if (v == null) {
            if (isNull(key)) {
                throw invalid(key, "null", "a number");
            }
            return def;
        }
        if (!v.isNumber()) {
            throw invalid(key, v.toString(), "a number");
        }
        return v.asDouble();
    }

    /** A number that may be None (absent or null): returns null then. */
    Double optionalNumber(String key) {
        JsonNode v = get(key);
        if (v == null) {
            return null;
        }
        if (!v.isNumber()) {
            throw invalid(key, v.toString(), "a number or null");
        }
        return v.asDouble();
    }

    /** A flag; None (null) is falsy as in Python. */
    boolean bool(String key, boolean def) {
        JsonNode v = get(key);
        if (v == null) {
            return isNull(key) ? false : def;
        }
        if (!v.isBoolean()) {
            throw invalid(key, v.toString(), "true or false");
        }
        return v.asBoolean();
    }

    /** A string; None (null) gives null. */
    String string(String key, String def) {
        JsonNode v = get(key);
        if (v == null) {
            return isNull(key) ? null : def;
        }
        if (!v.isTextual()) {
            throw invalid(key, v.toString(), "a string");
        }
        return v.asText();
    }

    /** {@code trained_betas}: a list of numbers, or null when absent/None. */
    double[] optionalNumbers(String key) {
        JsonNode v = get(key);
        if (v == null) {
            return null;
        }
        if (!v.isArray()) {
            throw invalid(key, v.getNodeType().toString().toLowerCase(), "a list of numbers");
        }
        double[] out = new double[v.size()];
        for (int i = 0; i < out.length; i++) {
            if (!v.get(i).isNumber()) {
                throw invalid(key + "[" + i + "]", v.get(i).toString(), "a number");
            }
            out[i] = v.get(i).asDouble();
        }
        return out;
    }

    /** Requires {@code value} to be one of {@code supported}; returns it. */
    String oneOf(String key, String value, String... supported) {
        for (String s : supported) {
            if (s.equals(value)) {
                return value;
            }
        }
        throw unsupported(key, value == null ? "null" : "\"" + value + "\"", String.join(", ", supported));
    }

    ConfigException unsupported(String key, String value, String supported) {
        return new ConfigException(className + ": " + key + "=" + value
                + " is not supported by this engine (supported: " + supported + ")");
    }

    ConfigException invalid(String key, String value, String expected) {
        return new ConfigException(className + ": " + key + "=" + value + " is invalid, expected " + expected);
    }

    /** Options no scheduler here implements; rejected when set instead of silently ignored. */
    void rejectCommonUnsupported() {
        if (bool("thresholding", false)) {
            throw unsupported("thresholding", "true", "false (dynamic thresholding is not implemented)");
        }
        if (bool("rescale_betas_zero_snr", false)) {
            throw unsupported("rescale_betas_zero_snr", "true", "false");
        }
    }

    /** {@code variance_type}: only None; the pipeline already drops the learned-sigma channels. */
    void rejectVarianceType() {
        String variance = string("variance_type", null);
        if (variance != null) {
            throw unsupported("variance_type", "\"" + variance + "\"",
                    "null (pass only the noise half of a learned-sigma model output)");
        }
    }
}
