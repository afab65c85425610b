package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderExceptions;
import io.discagent.service.problem.ExitCode;
import io.discagent.service.problem.ProblemKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The service's one vocabulary of failures: every agent failure type has a kind, kinds are unique, and the table in
 * {@code docs/service.md} and the CLI's exit codes are derived from it (this test fails with the table to paste when
 * the docs drift).
 */
class ProblemKindTests {

    /** Every concrete failure type of the agent: each has a row in api's table (api's ErrorTableTests). */
    private static List<Class<?>> leafTypes() {
        return RecorderExceptions.rows().stream().<Class<?>>map(RecorderExceptions.Row::type).distinct().toList();
    }

    @Test
    void everyFailureTypeOfTheAgentHasExactlyOneKind() {
        for (Class<?> type : leafTypes()) {
            long kinds = java.util.Arrays.stream(ProblemKind.values()).filter(k -> k.types().contains(type)).count();
            assertThat(kinds).as(type.getSimpleName()).isEqualTo(1);
        }
        for (RecorderExceptions.Row row : RecorderExceptions.rows()) {
            RecorderException e = RecorderExceptions.create(row.code(), "m", null, null, null, null);
            assertThat(ProblemKind.of(e).types()).contains(row.type());
        }
    }

    @Test
    void slugsAreUniqueAndStatusesDecideTheExitCode() {
        Set<String> slugs = new HashSet<>();
        for (ProblemKind kind : ProblemKind.values()) {
            assertThat(slugs.add(kind.slug())).as(kind.slug()).isTrue();
            assertThat(ProblemKind.ofType(kind.type())).isEqualTo(kind);
            assertThat(ProblemKind.exitCodeOf(null, kind.status())).as("status %d", kind.status())
                    .isEqualTo(kind.exitCode());
        }
        assertThat(ExitCode.summary()).startsWith("Exit codes: 0 ok, 1 failure, 2 usage").endsWith("recorder failure.");
    }

    @Test
    void theDocsTableIsTheKindsTable() throws IOException {
        Path docs = Path.of("../docs/service.md");
        if (!Files.exists(docs)) {
            docs = Path.of("docs/service.md");
        }
        String text = Files.readString(docs);
        String begin = "<!-- problem-kinds: generated from ProblemKind; ProblemKindTests checks it -->\n";
        String end = "<!-- /problem-kinds -->";
        assertThat(text).contains(begin).contains(end);
        String table = text.substring(text.indexOf(begin) + begin.length(), text.indexOf(end));
        assertThat(table).as("docs/service.md's problem table; paste:\n" + ProblemKind.markdownTable())
                .isEqualTo(ProblemKind.markdownTable());
    }
}
