package io.discagent.service.problem;

/**
 * The exit codes of the {@code discagent} command. The help footer and the docs are written from this list; the code
 * of a failed request comes from its {@link ProblemKind}.
 */
public enum ExitCode {

    OK(0, "ok"),
    FAILURE(1, "failure"),
    USAGE(2, "usage"),
    UNREACHABLE(3, "agent unreachable"),
    NOT_FOUND(4, "not found"),
    BUSY(5, "recorder busy (locked, wait timed out, too many)"),
    DENIED(6, "token denied"),
    CONFLICT(7, "lock not held, session closed, or the medium cannot take the image"),
    RECORDER_FAILURE(8, "recorder failure");

    private final int code;
    private final String meaning;

    ExitCode(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    /** The process exit status. */
    public int code() {
        return code;
    }

    /** What it means, in a few words. */
    public String meaning() {
        return meaning;
    }

    /** The Markdown table of docs/service.md: each code, and the problem types that end with it. */
    public static String markdownTable() {
        StringBuilder table = new StringBuilder("| Exit code | Meaning | Problem types |\n| --- | --- | --- |\n");
        for (ExitCode exit : values()) {
            StringBuilder kinds = new StringBuilder();
            for (ProblemKind kind : ProblemKind.values()) {
                if (kind.exitCode() == exit) {
                    kinds.append(kinds.length() == 0 ? "" : ", ").append('`').append(kind.slug()).append('`');
                }
            }
            table.append("| ").append(exit.code).append(" | ").append(exit.meaning).append(" | ").append(kinds)
                    .append(" |\n");
        }
        return table.toString();
    }

    /** "Exit codes: 0 ok, 1 failure, ...": the help footer. */
    public static String summary() {
        StringBuilder text = new StringBuilder("Exit codes:");
        for (ExitCode exit : values()) {
            text.append(exit == OK ? " " : ", ").append(exit.code).append(' ').append(exit.meaning);
        }
        return text.append('.').toString();
    }
}
