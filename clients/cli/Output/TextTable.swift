/// Aligned text columns, two spaces apart: the one layout of every table `cfsp` prints.
enum TextTable {
    /// `rows` (the header first) with every column as wide as its widest cell; the columns in
    /// `rightAligned` are padded on the left (numbers), the others on the right. A last column that
    /// is left-aligned is not padded, so no line ends in blanks.
    static func render(_ rows: [[String]], rightAligned: Set<Int>, indent: String = "") -> String {
        let count = rows.map(\.count).max() ?? 0
        let widths = (0..<count).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { cells in
            indent + cells.indices.map { column in
                if rightAligned.contains(column) { return cells[column].leftPadded(widths[column]) }
                return column == cells.count - 1 ? cells[column] : cells[column].rightPadded(widths[column])
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
