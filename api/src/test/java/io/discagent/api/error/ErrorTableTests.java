package io.discagent.api.error;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.RecorderId;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The one table of failure types: every type has a row, every row builds its own type, one code has one type. */
class ErrorTableTests {

    /** Every concrete type under {@link RecorderException}, found through the sealed hierarchy. */
    static List<Class<?>> leafTypes() {
        List<Class<?>> leaves = new ArrayList<>();
        List<Class<?>> todo = new ArrayList<>(List.of(RecorderException.class));
        while (!todo.isEmpty()) {
            Class<?> type = todo.remove(0);
            Class<?>[] permitted = type.getPermittedSubclasses();
            if (permitted == null) {
                leaves.add(type);
            } else {
                todo.addAll(List.of(permitted));
            }
        }
        return leaves;
    }

    @Test
    void everyPermittedTypeHasARow() {
        List<Class<?>> leaves = leafTypes();
        assertThat(leaves).hasSizeGreaterThanOrEqualTo(15).allSatisfy(type -> {
            assertThat(Modifier.isFinal(type.getModifiers())).as(type.getSimpleName()).isTrue();
            assertThat(RecorderExceptions.rows()).as(type.getSimpleName() + " has a row")
                    .anySatisfy(row -> assertThat(row.type()).isEqualTo(type));
        });
    }

    @Test
    void everyRowBuildsItsOwnTypeWithItsCode() {
        RecorderId id = RecorderId.of("r");
        for (RecorderExceptions.Row row : RecorderExceptions.rows()) {
            RecorderException built = RecorderExceptions.create(row.code(), "m", id, null, null, null);
            assertThat(built).as(row.code().toString()).isExactlyInstanceOf(row.type());
            assertThat(built.hresult()).isEqualTo(row.code());
            assertThat(RecorderExceptions.typeOf(row.code().code())).isEqualTo(row.type());
        }
    }

    @Test
    void oneCodeHasOneTypeAndEveryCodeIsWrittenOnce() {
        Set<Integer> codes = new HashSet<>();
        for (RecorderExceptions.Row row : RecorderExceptions.rows()) {
            assertThat(codes.add(row.code().code())).as("one row for " + row.code()).isTrue();
            assertThat(HResult.known()).as(row.code() + " is a named HResult").containsKey(row.code().code());
        }
    }

    @Test
    void theShortConstructorsCarryTheirTypesFirstCode() {
        RecorderId id = RecorderId.of("r");
        assertThat(new RecorderLockedException("m", id).hresult()).isEqualTo(HResult.E_IMAPI_RECORDER_LOCKED);
        assertThat(new DeviceNotReadyException("m", id).hresult())
                .isEqualTo(HResult.E_IMAPI_RECORDER_MEDIA_BECOMING_READY);
        assertThat(new RecorderRemovedException("m", id).hresult())
                .isEqualTo(HResult.HRESULT_FROM_WIN32_ERROR_DEV_NOT_EXIST);
        for (RecorderExceptions.Row row : RecorderExceptions.rows()) {
            assertThat(RecorderExceptions.typeOf(RecorderExceptions.defaultCode(row.type()).code()))
                    .isEqualTo(row.type());
        }
    }

    @Test
    void aCodeWithoutARowIsANativeFailureThatKeepsItsCode() {
        RecorderException e = RecorderExceptions.create(0x80070015, "not ready (Win32 21)", null);
        assertThat(e).isExactlyInstanceOf(NativeRecorderException.class);
        assertThat(e.hresult().code()).isEqualTo(0x80070015);
    }
}
