package studio.pixart.app.history;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import studio.pixart.app.settings.GenerationSettings;
import studio.pixart.engine.io.Json;

/**
 * The gallery's database: an embedded H2 file database ({@code history.mv.db}) in the studio's
 * data folder, plus the full images as PNG files (with their settings embedded) in
 * {@code images/}. Methods are synchronized and do blocking I/O: call them off the UI thread.
 */
public final class HistoryStore implements AutoCloseable {
    private final Path dir;
    private final Path images;
    private final Connection db;

    private HistoryStore(Path dir, Connection db) throws IOException {
        this.dir = dir;
        this.images = dir.resolve("images");
        Files.createDirectories(images);
        this.db = db;
    }

    public static HistoryStore open(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        // WRITE_DELAY=0: a commit reaches the file at once. H2's default (up to 1 s later, from a
        // background thread) lost every entry of the last second when the studio was killed.
        String url = "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("history") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
        try {
            Connection c = DriverManager.getConnection(url, "studio", "");
            try (Statement s = c.createStatement()) {
                s.execute("""
                        CREATE TABLE IF NOT EXISTS images (
                          id IDENTITY PRIMARY KEY,
                          created TIMESTAMP NOT NULL,
                          status VARCHAR(16) NOT NULL,
                          image_index INT NOT NULL,
                          prompt CHARACTER LARGE OBJECT NOT NULL,
                          negative_prompt CHARACTER LARGE OBJECT NOT NULL,
                          settings_json CHARACTER LARGE OBJECT NOT NULL,
                          seed BIGINT NOT NULL,
                          model VARCHAR(2000) NOT NULL,
                          model_label VARCHAR(200) NOT NULL,
                          width INT NOT NULL,
                          height INT NOT NULL,
                          timings_json VARCHAR(2000) NOT NULL,
                          thumbnail BINARY LARGE OBJECT,
                          image_file VARCHAR(500) NOT NULL,
                          message VARCHAR(4000) NOT NULL)""");
                s.execute("CREATE INDEX IF NOT EXISTS images_created ON images(created)");
                // added with the gallery: older databases get the column, unmarked
                s.execute("ALTER TABLE images ADD COLUMN IF NOT EXISTS favourite BOOLEAN DEFAULT FALSE NOT NULL");
            }
            return new HistoryStore(dataDir, c);
        } catch (SQLException e) {
            String hint = e.getMessage() != null && e.getMessage().contains("already in use")
                    ? " (is another PixArt Studio running with the same data folder?)" : "";
            throw new IOException("cannot open the history database in " + dataDir + hint + ": " + e.getMessage(), e);
        }
    }

    /** Writes an image file (atomically, e.g. with the engine's ImageExport). */
    @FunctionalInterface
    public interface ImageWriter {
        void write(Path file) throws IOException;
    }

    /**
     * Stores an entry; {@code fullImage} (may be null) writes the full PNG into images/, which is linked.
     * One transaction: a crash (even kill -9) in the middle leaves neither the row nor a link to a
     * missing image; at worst an unlinked complete image file (written atomically) stays behind.
     */
    public synchronized HistoryEntry add(HistoryEntry e, ImageWriter fullImage) throws IOException {
        try {
            db.setAutoCommit(false);
            HistoryEntry stored = insert(e, fullImage);
            db.commit();
            return stored;
        } catch (SQLException ex) {
            rollback();
            throw new IOException("cannot save to the history database: " + ex.getMessage(), ex);
        } catch (IOException | RuntimeException ex) {
            rollback();
            throw ex;
        } finally {
            try {
                db.setAutoCommit(true);
            } catch (SQLException ignored) {
                // reported by the next statement
            }
        }
    }

    private void rollback() {
        try {
            db.rollback();
        } catch (SQLException ignored) {
            // the connection is gone; nothing was committed
        }
    }

    private HistoryEntry insert(HistoryEntry e, ImageWriter fullImage) throws IOException, SQLException {
        try (PreparedStatement ps = db.prepareStatement("""
                INSERT INTO images(created, status, image_index, prompt, negative_prompt, settings_json, seed, model,
                  model_label, width, height, timings_json, thumbnail, image_file, message)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", Statement.RETURN_GENERATED_KEYS)) {
            GenerationSettings s = e.settings();
            ps.setTimestamp(1, Timestamp.from(e.created()));
            ps.setString(2, e.status().name());
            ps.setInt(3, e.imageIndex());
            ps.setString(4, s.prompt());
            ps.setString(5, s.negativePrompt());
            ps.setString(6, s.toJson());
            ps.setLong(7, s.seed());
            ps.setString(8, s.model());
            ps.setString(9, e.modelLabel());
            ps.setInt(10, e.width());
            ps.setInt(11, e.height());
            ps.setString(12, Json.MAPPER.writeValueAsString(e.timingsMs()));
            ps.setBytes(13, e.thumbnail());
            ps.setString(14, "");
            ps.setString(15, e.message());
            ps.executeUpdate();
            long id;
            try (ResultSet keys = ps.getGeneratedKeys()) {
                keys.next();
                id = keys.getLong(1);
            }
            HistoryEntry stored = e.withId(id);
            if (fullImage != null) {
                String name = String.format(Locale.ROOT, "%06d.png", id);
                fullImage.write(images.resolve(name));
                try (PreparedStatement up = db.prepareStatement("UPDATE images SET image_file = ? WHERE id = ?")) {
                    up.setString(1, name);
                    up.setLong(2, id);
                    up.executeUpdate();
                }
                stored = stored.withImageFile(name);
            }
            return stored;
        }
    }

    /** Newest first; {@code query} matches prompt or negative prompt text, case-insensitively ("" = all). */
    public List<HistoryEntry> search(String query, int limit) throws IOException {
        return search(query, false, limit);
    }

    /** Like {@link #search(String, int)}, only favourites when {@code favouritesOnly}. */
    public synchronized List<HistoryEntry> search(String query, boolean favouritesOnly, int limit) throws IOException {
        String q = query == null ? "" : query.strip().toLowerCase(Locale.ROOT);
        String where = (q.isEmpty() ? "" : "(LOWER(prompt) LIKE ? ESCAPE '\\' OR LOWER(negative_prompt) LIKE ? ESCAPE '\\')")
                + (favouritesOnly ? (q.isEmpty() ? "" : " AND ") + "favourite" : "");
        String sql = "SELECT * FROM images" + (where.isEmpty() ? "" : " WHERE " + where) + " ORDER BY created DESC, id DESC LIMIT ?";
        try (PreparedStatement ps = db.prepareStatement(sql)) {
            int i = 1;
            if (!q.isEmpty()) {
                String like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
                ps.setString(i++, like);
                ps.setString(i++, like);
            }
            ps.setInt(i, limit);
            List<HistoryEntry> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(row(rs));
                }
            }
            return out;
        } catch (SQLException ex) {
            throw new IOException("cannot read the history database: " + ex.getMessage(), ex);
        }
    }

    public synchronized void setFavourite(long id, boolean on) throws IOException {
        try (PreparedStatement ps = db.prepareStatement("UPDATE images SET favourite = ? WHERE id = ?")) {
            ps.setBoolean(1, on);
            ps.setLong(2, id);
            ps.executeUpdate();
        } catch (SQLException ex) {
            throw new IOException("cannot update the history database: " + ex.getMessage(), ex);
        }
    }

    public synchronized void delete(long id) throws IOException {
        try (PreparedStatement sel = db.prepareStatement("SELECT image_file FROM images WHERE id = ?");
             PreparedStatement del = db.prepareStatement("DELETE FROM images WHERE id = ?")) {
            sel.setLong(1, id);
            String file = "";
            try (ResultSet rs = sel.executeQuery()) {
                if (rs.next()) {
                    file = rs.getString(1);
                }
            }
            del.setLong(1, id);
            del.executeUpdate();
            if (!file.isEmpty()) {
                Files.deleteIfExists(images.resolve(file));
            }
        } catch (SQLException ex) {
            throw new IOException("cannot delete from the history database: " + ex.getMessage(), ex);
        }
    }

    public Path imagePath(HistoryEntry e) {
        return e.imageFile().isEmpty() ? null : images.resolve(e.imageFile());
    }

    private static HistoryEntry row(ResultSet rs) throws SQLException, IOException {
        GenerationSettings s = GenerationSettings.fromJson(rs.getString("settings_json"));
        Map<String, Long> timings = Json.MAPPER.readValue(rs.getString("timings_json"), new TypeReference<Map<String, Long>>() {});
        return new HistoryEntry(rs.getLong("id"), rs.getTimestamp("created").toInstant(),
                HistoryEntry.Status.valueOf(rs.getString("status")), rs.getInt("image_index"), s,
                rs.getString("model_label"), rs.getInt("width"), rs.getInt("height"), timings, rs.getBytes("thumbnail"),
                rs.getString("image_file"), rs.getString("message"), rs.getBoolean("favourite"));
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException ignored) {
            // closing at exit: nothing useful to do
        }
    }

    public Path dir() {
        return dir;
    }
}
