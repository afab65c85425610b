package io.discagent.agent.backend.windows;

import com.sun.jna.platform.win32.OaIdl.SAFEARRAY;
import com.sun.jna.platform.win32.OaIdlUtil;
import io.discagent.agent.backend.windows.Imapi2.DiscRecorder;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * {@code IDiscRecorder2} through jna-platform (Windows only). Used only on the thread that created it: a recorder's
 * worker for the lasting object, the control worker for a short-lived probe.
 */
final class JnaDiscRecorder implements DiscRecorder {

    private final JnaDispatch.MsftDiscRecorder2 recorder;

    JnaDiscRecorder(JnaDispatch.MsftDiscRecorder2 recorder) {
        this.recorder = recorder;
    }

    @Override
    public void initializeDiscRecorder(String uniqueId) {
        recorder.InitializeDiscRecorder(uniqueId);
    }

    @Override
    public String vendorId() {
        return text(recorder.getVendorId());
    }

    @Override
    public String productId() {
        return text(recorder.getProductId());
    }

    @Override
    public String productRevision() {
        return text(recorder.getProductRevision());
    }

    /** The {@code SAFEARRAY} of VARIANT BSTRs, read and destroyed. */
    @Override
    public List<String> volumePathNames() {
        Object value = recorder.getVolumePathNames();
        Object[] elements;
        if (value instanceof SAFEARRAY) {
            elements = (Object[]) OaIdlUtil.toPrimitiveArray((SAFEARRAY) value, true);
        } else if (value instanceof Object[]) {
            elements = (Object[]) value;
        } else {
            return List.of();
        }
        List<String> paths = new ArrayList<>(elements.length);
        for (Object element : elements) {
            if (element != null && !element.toString().isBlank()) {
                paths.add(element.toString());
            }
        }
        return paths;
    }

    @Override
    public void acquireExclusiveAccess(boolean force, String clientName) {
        recorder.AcquireExclusiveAccess(force, clientName);
    }

    @Override
    public void releaseExclusiveAccess() {
        recorder.ReleaseExclusiveAccess();
    }

    @Override
    public @Nullable String exclusiveAccessOwner() {
        return recorder.getExclusiveAccessOwner();
    }

    @Override
    public void release() {
        JnaDispatch.dispose(recorder);
    }

    private static String text(@Nullable String value) {
        return value == null ? "" : value;
    }
}
