package io.discagent.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.api.error.HResult;
import io.discagent.api.error.InvalidClientNameException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClientNamesTests {

    @ParameterizedTest
    @ValueSource(strings = {"a", "Kiosk A", "burner-1_x.y,z:w;v", "0123456789", " "})
    void acceptsTheDriverCharacterSet(String name) {
        assertThat(ClientNames.requireValid(name)).isEqualTo(name);
    }

    @Test
    void acceptsSixtyThreeCharactersAndRefusesSixtyFour() {
        assertThat(ClientNames.isValid("x".repeat(63))).isTrue();
        assertThat(ClientNames.isValid("x".repeat(64))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a/b", "me@host", "(x)", "tab\there", "caf\u00e9", "\u00a0", "a\u0000b", "x+y", "\"q\""})
    void refusesEverythingElseWithItsHResult(String name) {
        assertThatThrownBy(() -> ClientNames.requireValid(name))
                .isInstanceOfSatisfying(InvalidClientNameException.class, e -> {
                    assertThat(e.hresult()).isEqualTo(HResult.E_IMAPI_RECORDER_CLIENT_NAME_IS_NOT_VALID);
                    assertThat(e.hresult().code()).isEqualTo(0xC0AA0211);
                    assertThat(e.getMessage()).startsWith("0xC0AA0211 E_IMAPI_RECORDER_CLIENT_NAME_IS_NOT_VALID: ");
                    assertThat(e.isTransient()).isFalse();
                });
    }

    @Test
    void thePatternIsTheSameRule() {
        java.util.regex.Pattern pattern = java.util.regex.Pattern.compile(ClientNames.PATTERN);
        for (char c = 0; c < 0x3000; c++) {
            for (String name : new String[] {String.valueOf(c), "a" + c, c + "x".repeat(62), c + "x".repeat(63)}) {
                assertThat(pattern.matcher(name).matches()).as("U+%04X in %s", (int) c, name.length())
                        .isEqualTo(ClientNames.isValid(name));
            }
        }
        assertThat(pattern.matcher("").matches()).isFalse();
    }

    @Test
    void refusesNull() {
        assertThat(ClientNames.isValid(null)).isFalse();
        assertThatThrownBy(() -> ClientNames.requireValid(null)).isInstanceOf(InvalidClientNameException.class)
                .hasMessageContaining("empty");
    }

    @Test
    void saysWhichCharacterIsWrong() {
        assertThatThrownBy(() -> ClientNames.requireValid("ok/no"))
                .hasMessageContaining("U+002F").hasMessageContaining("position 2");
    }
}
