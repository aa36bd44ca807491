import Foundation

/// Files `valonctl` writes (`peer export FILE`).
public enum AdminFiles {
    /// Replaces `path` with `text` atomically (a temporary file renamed over it). A
    /// directory the caller may not write to is ``AdminError/Code/permissionDenied``.
    public static func write(_ text: String, to path: String) throws(AdminError) {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch let error as CocoaError where error.code == .fileWriteNoPermission || error.code == .fileWriteVolumeReadOnly {
            throw AdminError(.permissionDenied, "cannot write \(path): permission denied")
        } catch {
            throw AdminError(.failure, "cannot write \(path): \(error.localizedDescription)")
        }
    }
}
