using Connect.Admin.Components;

namespace Connect.Admin.Tests;

public sealed class LiveRowsTests
{
    private sealed record Reading(string Name, int Value);

    [Fact]
    public void A_thing_keeps_its_row_across_updates_with_its_latest_item_and_a_thing_that_went_loses_it()
    {
        var rows = new LiveRows<Reading, string>(r => r.Name);
        var first = rows.Update([new("a", 1), new("b", 1)]);

        var second = rows.Update([new("b", 2), new("c", 2)]);
        Assert.Same(first[1], second[0]);
        Assert.Equal(new Reading("b", 2), second[0].Item);
        Assert.DoesNotContain(first[0], second);

        // "a" comes back: a new row, as nothing kept the old one.
        var third = rows.Update([new("a", 3)]);
        Assert.NotSame(first[0], third[0]);
        Assert.Equal(3, third[0].Item.Value);
    }

    [Fact]
    public void Two_items_under_one_key_get_two_rows_never_one_row_twice()
    {
        var rows = new LiveRows<Reading, string>(r => r.Name);
        rows.Update([new("a", 1)]);

        var twice = rows.Update([new("a", 2), new("a", 3)]);

        Assert.NotSame(twice[0], twice[1]);
        Assert.Equal([2, 3], twice.Select(r => r.Item.Value));
    }
}
