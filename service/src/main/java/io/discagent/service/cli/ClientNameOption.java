package io.discagent.service.cli;

import io.discagent.api.ClientNames;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --client-name}: checked on the command line against IMAPI2's rule, so a bad name is a usage error (exit 2)
 * that says what the rule is, before anything is sent.
 */
final class ClientNameOption implements ITypeConverter<String> {

    @Override
    public String convert(String value) {
        if (!ClientNames.isValid(value)) {
            throw new TypeConversionException("'" + value + "' is not a valid client name (IMAPI2's rule: 1-"
                    + ClientNames.MAX_LENGTH + " characters of A-Z a-z 0-9 space . , : ; - _)");
        }
        return value;
    }
}
