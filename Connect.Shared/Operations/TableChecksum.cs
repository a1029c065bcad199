using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Connect.Shared.Operations;

/// <summary>
/// A table's content as one hash, independent of row order (SQLite and PostgreSQL sort text differently): each
/// row is written in a canonical form and hashed, and the sorted row hashes are hashed together.
/// </summary>
internal sealed class TableChecksum
{
    private readonly List<string> _rows = [];

    public long Rows => _rows.Count;

    /// <summary>Reads the reader's current row into <paramref name="values"/> (null for NULL), as both databases' rows are read.</summary>
    public static void ReadRow(DbDataReader reader, object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
        }
    }

    /// <summary>Adds one row, each value read as its column's type so both databases give the same text.</summary>
    public void Add(IReadOnlyList<ColumnType> types, IReadOnlyList<object?> values)
    {
        var text = new StringBuilder();
        for (var i = 0; i < values.Count; i++)
        {
            text.Append(i == 0 ? "" : "\u001f").Append(Canonical(types[i], values[i]));
        }

        _rows.Add(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()))));
    }

    public string Value()
    {
        _rows.Sort(StringComparer.Ordinal);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(string.Concat(_rows))))[..16];
    }

    private static string Canonical(ColumnType type, object? value) => value switch
    {
        null or DBNull => "\u0000",
        _ => type switch
        {
            ColumnType.Integer or ColumnType.BigInteger => Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
            ColumnType.Double => Convert.ToDouble(value, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture),
            _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
        },
    };
}

/// <summary>The column types of the schema (see <see cref="Data.Migrations"/>), as PostgreSQL names them.</summary>
internal enum ColumnType
{
    Integer,
    BigInteger,
    Double,
    Text,
}
