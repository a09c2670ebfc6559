package dev.airouter.backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads a markdown table of the repository's README, for tests that hold the README to the code. */
final class ReadmeTables {
    private ReadmeTables() {}

    /**
     * @param header how the table's header row starts, e.g. {@code "| method, path |"}
     * @return the rows after the header and its separator, each as its trimmed cells
     * @throws AssertionError if the README has no such table
     */
    static List<List<String>> rows(String header) throws IOException {
        List<List<String>> rows = new ArrayList<>();
        boolean inTable = false;
        for (String line : Files.readAllLines(Path.of("../README.md"))) {
            if (line.startsWith(header)) {
                inTable = true;
            } else if (inTable && !line.startsWith("|")) {
                break;
            } else if (inTable && !line.startsWith("|---")) {
                List<String> cells = new ArrayList<>();
                String[] parts = line.split("\\|");
                for (int i = 1; i < parts.length; i++) {
                    cells.add(parts[i].trim());
                }
                rows.add(cells);
            }
        }
        if (!inTable) {
            throw new AssertionError("README.md has no table whose header starts with '" + header + "'");
        }
        return rows;
    }
}
