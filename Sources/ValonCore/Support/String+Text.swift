// Foundation's `trimmingCharacters(in:)` and `replacingOccurrences(of:with:)` are not in
// FoundationEssentials, the only Foundation ValonCore imports; these do the same.
extension StringProtocol {
    /// Without leading and trailing spaces and tabs: what `trimmingCharacters(in: .whitespaces)`
    /// removes (Unicode general category Zs and U+0009).
    func trimmingSpaces() -> String {
        trimmingScalars { $0 == "\t" || $0.properties.generalCategory == .spaceSeparator }
    }

    /// Without leading and trailing white space and line breaks: what
    /// `trimmingCharacters(in: .whitespacesAndNewlines)` removes (Unicode White_Space:
    /// categories Z*, U+0009–U+000D and U+0085).
    func trimmingWhitespaceAndNewlines() -> String {
        trimmingScalars { $0.properties.isWhitespace }
    }

    private func trimmingScalars(where isTrimmed: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !isTrimmed($0) }),
              let last = scalars.lastIndex(where: { !isTrimmed($0) }) else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }

    /// Every occurrence of `target` replaced by `replacement`, left to right, compared as
    /// UTF-8 bytes (a literal match, as `replacingOccurrences(of:with:)` makes for these
    /// ASCII patterns).
    func replacingAll(_ target: String, with replacement: String) -> String {
        let text = Array(utf8), pattern = Array(target.utf8)
        guard !pattern.isEmpty else { return String(self) }
        var result: [UInt8] = []
        result.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            if index + pattern.count <= text.count, text[index..<index + pattern.count].elementsEqual(pattern) {
                result.append(contentsOf: replacement.utf8)
                index += pattern.count
            } else {
                result.append(text[index])
                index += 1
            }
        }
        return String(decoding: result, as: UTF8.self)
    }
}
