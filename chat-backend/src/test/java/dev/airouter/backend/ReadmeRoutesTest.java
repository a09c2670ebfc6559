package dev.airouter.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's endpoint table and the backend's route table list the same endpoints, in the same order. */
class ReadmeRoutesTest {
    private static final Pattern CELL = Pattern.compile("`(GET|POST|PUT|PATCH|DELETE) (/[^`]*)`");

    @Test
    void readmeEndpointTableMatchesTheRouteTable() throws IOException {
        List<String> documented = new ArrayList<>();
        for (List<String> row : ReadmeTables.rows("| method, path |")) {
            Matcher m = CELL.matcher(row.get(0));
            if (m.matches()) {
                documented.add(m.group(1) + " " + m.group(2));
            }
        }
        List<String> routes = ApiRoutes.of(null, null, null, null, null).routes().stream().map(RouteTable.Route::describe).toList();
        assertThat(documented).as("README.md's endpoint table (chat-backend section)").containsExactlyElementsOf(routes);
    }
}
