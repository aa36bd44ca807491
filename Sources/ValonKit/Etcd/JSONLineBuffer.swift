/// Splits a byte stream into newline-terminated lines, as etcd's gateway writes its
/// streams (one JSON message per line). Bytes after the last newline wait for more.
struct JSONLineBuffer {
    private var pending: [UInt8] = []
    /// A line longer than this is refused (a watch message holds at most one revision's
    /// events; etcd's default request limit is 1.5 MiB).
    let maximumLineLength: Int

    init(maximumLineLength: Int = 64 << 20) {
        self.maximumLineLength = maximumLineLength
    }

    /// Takes the next chunk and returns every line it completed, without the newline;
    /// empty lines are skipped. `nil` when a line grows beyond ``maximumLineLength``.
    mutating func append(_ chunk: some Collection<UInt8>) -> [[UInt8]]? {
        var lines: [[UInt8]] = []
        var start = chunk.startIndex
        while let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) {
            pending.append(contentsOf: chunk[start..<newline])
            if !pending.isEmpty && pending != [UInt8(ascii: "\r")] { lines.append(pending) }
            pending.removeAll(keepingCapacity: true)
            start = chunk.index(after: newline)
        }
        pending.append(contentsOf: chunk[start...])
        return pending.count > maximumLineLength ? nil : lines
    }

    /// Bytes received after the last newline.
    var remainder: [UInt8] { pending }
}
