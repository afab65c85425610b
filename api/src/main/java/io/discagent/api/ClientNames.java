package io.discagent.api;

import io.discagent.api.error.InvalidClientNameException;
import org.jspecify.annotations.Nullable;

/**
 * The IMAPI2 client-name rule, checked before anything else happens: 1 to 63 characters, each one of
 * {@code A-Z a-z 0-9}, space, {@code . , : ; - _} (the rule {@code cdrom.sys} enforces for
 * {@code IOCTL_CDROM_EXCLUSIVE_ACCESS}: a 64-byte ASCII buffer including its NUL).
 */
public final class ClientNames {

    /** The longest valid name. */
    public static final int MAX_LENGTH = 63;

    /**
     * The rule as a regular expression (as JSON Schema and {@link java.util.regex.Pattern} read it), for forms and
     * schemas; {@link #isValid} is the same rule.
     */
    public static final String PATTERN = "^[A-Za-z0-9 .,:;_-]{1," + MAX_LENGTH + "}$";

    private static final String PUNCTUATION = " .,:;_-";

    private ClientNames() {
    }

    /**
     * Whether {@code name} is a valid client name.
     *
     * @param name the name to check; {@code null} is not valid
     * @return {@code true} if {@code name} follows the rule
     */
    public static boolean isValid(@Nullable String name) {
        return problem(name) == null;
    }

    /**
     * Returns {@code name} if it is valid.
     *
     * @param name the name to check
     * @return {@code name}, unchanged
     * @throws InvalidClientNameException ({@code E_IMAPI_RECORDER_CLIENT_NAME_IS_NOT_VALID}) saying what is wrong
     */
    public static String requireValid(@Nullable String name) {
        String problem = problem(name);
        if (problem != null) {
            throw new InvalidClientNameException(problem, null);
        }
        return name;
    }

    private static @Nullable String problem(@Nullable String name) {
        if (name == null || name.isEmpty()) {
            return "the client name is empty; give 1 to 63 characters of A-Z a-z 0-9 space . , : ; - _";
        }
        if (name.length() > MAX_LENGTH) {
            return "the client name has " + name.length() + " characters; at most " + MAX_LENGTH + " are allowed";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!isAllowed(c)) {
                return String.format("the client name has the character U+%04X at position %d; only A-Z a-z 0-9 "
                        + "space . , : ; - _ are allowed", (int) c, i);
            }
        }
        return null;
    }

    private static boolean isAllowed(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || PUNCTUATION.indexOf(c) >= 0;
    }
}
