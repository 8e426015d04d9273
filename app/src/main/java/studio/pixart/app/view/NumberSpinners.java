package studio.pixart.app.view;

import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.scene.control.Spinner;
import javafx.scene.control.SpinnerValueFactory;
import javafx.scene.control.TextFormatter;
import javafx.util.StringConverter;

/**
 * Editable number spinners bound to a view-model property: the editor accepts only digits (a
 * decimal point for doubles), a typed value in range counts at once (Generate needs no Enter), and
 * anything else goes back to the last good value when the field is left.
 */
final class NumberSpinners {
    private NumberSpinners() {}

    static Spinner<Integer> integer(String id, int min, int max, IntegerProperty value) {
        SpinnerValueFactory.IntegerSpinnerValueFactory f =
                new SpinnerValueFactory.IntegerSpinnerValueFactory(min, max, clamp(value.get(), min, max));
        f.setConverter(new StringConverter<>() {
            @Override
            public String toString(Integer v) {
                return v == null ? "" : v.toString();
            }

            @Override
            public Integer fromString(String s) {
                try {
                    return clamp(Integer.parseInt(s.strip()), min, max);
                } catch (NumberFormatException e) {
                    return f.getValue();
                }
            }
        });
        Spinner<Integer> sp = new Spinner<>(f);
        sp.setId(id);
        sp.setEditable(true);
        int digits = Integer.toString(max).length();
        sp.getEditor().setTextFormatter(new TextFormatter<String>(c -> c.getControlNewText().matches("\\d{0," + digits + "}") ? c : null));
        sp.getEditor().textProperty().addListener((o, a, b) -> {
            try {
                int v = Integer.parseInt(b);
                if (v >= min && v <= max) {
                    f.setValue(v);
                }
            } catch (NumberFormatException ignored) {
                // empty while typing: the value stays until the field is left
            }
        });
        leaveRestores(sp);
        f.valueProperty().addListener((o, a, b) -> value.set(b));
        value.addListener((o, a, b) -> f.setValue(clamp(b.intValue(), min, max)));
        return sp;
    }

    static Spinner<Double> decimal(String id, double min, double max, double step, DoubleProperty value) {
        SpinnerValueFactory.DoubleSpinnerValueFactory f =
                new SpinnerValueFactory.DoubleSpinnerValueFactory(min, max, Math.max(min, Math.min(max, value.get())), step);
        StringConverter<Double> base = f.getConverter();
        f.setConverter(new StringConverter<>() {
            @Override
            public String toString(Double v) {
                return v == null ? "" : base.toString(v);
            }

            @Override
            public Double fromString(String s) {
                try {
                    return Math.max(min, Math.min(max, Double.parseDouble(s.strip().replace(',', '.'))));
                } catch (NumberFormatException e) {
                    return f.getValue();
                }
            }
        });
        Spinner<Double> sp = new Spinner<>(f);
        sp.setId(id);
        sp.setEditable(true);
        sp.getEditor().setTextFormatter(new TextFormatter<String>(c -> c.getControlNewText().matches("\\d{0,3}([.,]\\d{0,3})?") ? c : null));
        sp.getEditor().textProperty().addListener((o, a, b) -> {
            try {
                double v = Double.parseDouble(b.replace(',', '.'));
                if (v >= min && v <= max && !b.endsWith(".") && !b.endsWith(",")) {
                    f.setValue(v);
                }
            } catch (NumberFormatException ignored) {
                // empty or "4." while typing
            }
        });
        leaveRestores(sp);
        f.valueProperty().addListener((o, a, b) -> value.set(b));
        value.addListener((o, a, b) -> f.setValue(b.doubleValue()));
        return sp;
    }

    /** Leaving the field shows the value in force (what an empty or out-of-range text did not change). */
    private static <T> void leaveRestores(Spinner<T> sp) {
        sp.getEditor().focusedProperty().addListener((o, was, now) -> {
            if (!now) {
                sp.getEditor().setText(sp.getValueFactory().getConverter().toString(sp.getValue()));
            }
        });
    }

    private static int clamp(int v, int min, int max) {
        return Math.max(min, Math.min(max, v));
    }
}
