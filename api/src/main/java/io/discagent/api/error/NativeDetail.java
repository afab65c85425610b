package io.discagent.api.error;

import java.util.Objects;

/**
 * What the operating system said underneath an HRESULT: an errno and SCSI sense data on Linux, a COM scode and
 * exception description on Windows.
 *
 * @param source the native call that failed, such as {@code open(/dev/sr0)} or {@code SG_IO PREVENT ALLOW MEDIUM REMOVAL}
 * @param code the native code (errno, scode, SCSI status), 0 if none
 * @param symbol the symbolic name of {@code code}, such as {@code EBUSY}, or empty
 * @param description the native message, such as {@code Device or resource busy}
 * @param senseData SCSI sense bytes in hexadecimal ({@code "70 00 02 00 ..."}), or empty
 */
public record NativeDetail(String source, long code, String symbol, String description, String senseData) {

    /**
     * Checks the detail.
     *
     * @param source the native call that failed
     * @param code the native code, 0 if none
     * @param symbol the symbolic name of {@code code}, or empty
     * @param description the native message, or empty
     * @param senseData SCSI sense bytes in hexadecimal, or empty
     * @throws NullPointerException if a text component is {@code null} (use an empty string instead)
     */
    public NativeDetail {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(symbol, "symbol");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(senseData, "senseData");
    }

    /**
     * A detail without sense data.
     *
     * @param source the native call that failed, such as {@code open(/dev/sr0)}
     * @param code the native code (errno, scode, SCSI status), 0 if none
     * @param symbol the symbolic name of {@code code}, such as {@code EBUSY}, or empty
     * @param description the native message, such as {@code Device or resource busy}
     * @return the detail, with empty {@link #senseData()}
     * @throws NullPointerException if a text argument is {@code null}
     */
    public static NativeDetail of(String source, long code, String symbol, String description) {
        return new NativeDetail(source, code, symbol, description, "");
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(source).append(": ");
        if (!symbol.isEmpty()) {
            b.append(symbol).append(' ');
        }
        b.append('(').append(code).append(')');
        if (!description.isEmpty()) {
            b.append(' ').append(description);
        }
        if (!senseData.isEmpty()) {
            b.append(", sense ").append(senseData);
        }
        return b.toString();
    }
}
