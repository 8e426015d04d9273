package studio.pixart.app.view;

import javafx.scene.SnapshotParameters;
import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.image.WritableImage;
import javafx.scene.paint.Color;
import javafx.scene.paint.CycleMethod;
import javafx.scene.paint.LinearGradient;
import javafx.scene.paint.RadialGradient;
import javafx.scene.paint.Stop;

/** The studio's icon (same drawing as assets/icons/pixart-studio.svg), drawn at any size. */
public final class AppIcon {
    private AppIcon() {}

    public static Canvas canvas(double size) {
        Canvas c = new Canvas(size, size);
        GraphicsContext g = c.getGraphicsContext2D();
        double k = size / 256.0;
        g.scale(k, k);
        g.setFill(new LinearGradient(0, 0, 1, 1, true, CycleMethod.NO_CYCLE,
                new Stop(0, Color.web("#2b2f45")), new Stop(1, Color.web("#161824"))));
        g.fillRoundRect(8, 8, 240, 240, 96, 96);
        g.setFill(new RadialGradient(0, 0, 0.62, 0.4, 0.42, true, CycleMethod.NO_CYCLE,
                new Stop(0, Color.web("#ffd27a")), new Stop(0.55, Color.web("#ff7aa8")), new Stop(1, Color.web("#7a5cff"))));
        g.fillOval(86, 40, 128, 128);
        double[][] px = {{40, 152, 1}, {72, 152, .85}, {40, 184, .7}, {104, 184, .55}, {72, 120, .4}, {136, 184, .3}};
        for (double[] p : px) {
            g.setFill(Color.web("#8fa3ff", p[2]));
            g.fillRoundRect(p[0], p[1], 24, 24, 8, 8);
        }
        g.setFill(Color.rgb(255, 255, 255, 0.12));
        g.fillPolygon(new double[] {24, 96, 140, 176, 232}, new double[] {212, 148, 188, 160, 212}, 5);
        return c;
    }

    public static WritableImage image(double size) {
        SnapshotParameters p = new SnapshotParameters();
        p.setFill(Color.TRANSPARENT);
        return canvas(size).snapshot(p, null);
    }
}
