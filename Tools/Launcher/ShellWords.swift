/// Splits a command string the way docker-compose does (POSIX shell quoting, no expansion):
/// whitespace separates words; `'...'` is literal; `"..."` allows `\"`, `\\`, `\$` and `` \` ``;
/// a backslash outside quotes escapes the next character.
public enum ShellWords {
    public enum SplitError: Error, Equatable, Sendable {
        case unterminatedQuote
        case trailingBackslash
    }

    public static func split(_ text: String) throws(SplitError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var chars = text.makeIterator()
        while let c = chars.next() {
            switch c {
            case "'":
                inWord = true
                var closed = false
                while let q = chars.next() {
                    if q == "'" { closed = true; break }
                    current.append(q)
                }
                guard closed else { throw .unterminatedQuote }
            case "\"":
                inWord = true
                var closed = false
                while let q = chars.next() {
                    if q == "\"" { closed = true; break }
                    if q == "\\" {
                        guard let e = chars.next() else { throw .unterminatedQuote }
                        if !"\"\\$`\n".contains(e) { current.append("\\") }
                        if e != "\n" { current.append(e) }
                        continue
                    }
                    current.append(q)
                }
                guard closed else { throw .unterminatedQuote }
            case "\\":
                guard let e = chars.next() else { throw .trailingBackslash }
                inWord = true
                if e != "\n" { current.append(e) }
            case _ where c.isWhitespace:
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            default:
                inWord = true
                current.append(c)
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
