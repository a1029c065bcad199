namespace Connect.Admin.Components;

/// <summary>One row of a live table: the same object for as long as its thing is shown, with its latest figures.</summary>
public sealed class LiveRow<T>(T item)
{
    public T Item { get; internal set; } = item;
}

/// <summary>
/// The rows of a table that a live snapshot refreshes. MudTable keys each row by its item, and each snapshot brings
/// new records (a worker's CPU, a node's heartbeat age changed), so a table bound to the records themselves replaced
/// every row, with its buttons and links, every second: a click whose press and release fell either side of a swap
/// was lost (the console's Stop button did nothing, one time in many). Bound to these rows, a row keeps its element
/// while only its text changes.
/// </summary>
public sealed class LiveRows<T, TKey>(Func<T, TKey> key)
    where TKey : notnull
{
    private Dictionary<TKey, LiveRow<T>> _rows = [];

    /// <summary>The rows for <paramref name="items"/>, in their order: a thing shown before keeps its row.</summary>
    public IReadOnlyList<LiveRow<T>> Update(IEnumerable<T> items)
    {
        var kept = new Dictionary<TKey, LiveRow<T>>();
        var rows = new List<LiveRow<T>>();
        foreach (var item in items)
        {
            // Two items under one key (never expected) each get their own row: one object twice would be a
            // duplicate key, which Blazor refuses.
            var id = key(item);
            var row = !kept.ContainsKey(id) && _rows.TryGetValue(id, out var earlier) ? earlier : new LiveRow<T>(item);
            row.Item = item;
            kept.TryAdd(id, row);
            rows.Add(row);
        }

        _rows = kept;
        return rows;
    }
}
