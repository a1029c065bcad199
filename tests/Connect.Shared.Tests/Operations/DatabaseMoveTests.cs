using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Data;
using Connect.Shared.Operations;
using Connect.Shared.Users;
using Connect.Testing;
using Dapper;

namespace Connect.Shared.Tests.Operations;

public sealed class DatabaseMoveTests
{
    [Fact]
    public async Task Every_table_of_the_schema_is_either_moved_or_named_as_left_behind()
    {
        await using var sqlite = await MigratedDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var connection = await sqlite.Database.OpenAsync();
        var tables = await connection.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");

        // The schema's own history and a backup's pause belong to the database they are in.
        var accounted = DatabaseMove.Tables.Concat(DatabaseMove.NodeStateTables).Concat(["schema_version", "maintenance"]);
        Assert.Equal(accounted.Order(), tables.Order());
    }

    [Fact]
    public async Task Ids_survive_the_move_and_an_id_sqlite_gave_out_is_never_given_again()
    {
        await using var sqlite = await MigratedDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var postgres = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        var users = new UserRepository(sqlite.Database);
        var kim = (await users.AddAsync("kim", UserRole.Publisher, password: "kim's password 1")).User!;
        var gone = (await users.AddAsync("gone", UserRole.Viewer)).User!;
        var contents = new ContentRepository(sqlite.Database);
        var item = (await contents.CreateAsync(kim.Id, "report", "Übersicht – 2026", "a \"quoted\"\ttab\nand a line")).Content!;
        await contents.SetOverridesAsync(item.Id, new ProcessOverrides(LoadFactor: 0.1 + 0.2));
        await using (var connection = await sqlite.Database.OpenAsync())
        {
            await connection.ExecuteAsync("DELETE FROM users WHERE id = @id", new { id = gone.Id });
        }

        var output = new StringWriter();
        var moved = await new DatabaseMove((SqliteDatabase)sqlite.Database, (PostgresDatabase)postgres.Database, output).RunAsync(replace: false, CancellationToken.None);

        Assert.Equal(1, moved.Single(t => t.Table == "users").TargetRows);
        var after = await new ContentRepository(postgres.Database).GetAsync(item.Guid);
        Assert.Equal((item.Id, "Übersicht – 2026", "a \"quoted\"\ttab\nand a line"), (after!.Id, after.Title, after.Description));
        Assert.Equal(0.1 + 0.2, after.Overrides.LoadFactor);
        var movedUsers = new UserRepository(postgres.Database);
        Assert.Equal(SignInStatus.SignedIn, (await movedUsers.CheckPasswordAsync("kim", "kim's password 1")).Status);
        // SQLite had given id 2 to a user since deleted: PostgreSQL goes on from 3.
        Assert.Equal(gone.Id + 1, (await movedUsers.AddAsync("new", UserRole.Viewer)).User!.Id);
        Assert.Contains("checksum", output.ToString());
    }

    [Fact]
    public async Task A_target_with_data_is_refused_unless_replaced_and_a_running_node_stops_the_move()
    {
        await using var sqlite = await MigratedDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var postgres = await MigratedDatabase.CreateAsync(DatabaseProvider.Postgres);
        await new UserRepository(sqlite.Database).AddAsync("kim", UserRole.Publisher);
        await new UserRepository(postgres.Database).AddAsync("someone-else", UserRole.Viewer);
        var move = new DatabaseMove((SqliteDatabase)sqlite.Database, (PostgresDatabase)postgres.Database, TextWriter.Null);

        var refused = await Assert.ThrowsAsync<DatabaseMoveRefused>(() => move.RunAsync(replace: false, CancellationToken.None));
        Assert.Contains("already holds data (in users)", refused.Message);
        Assert.NotNull(await new UserRepository(postgres.Database).FindAsync("someone-else"));

        await move.RunAsync(replace: true, CancellationToken.None);
        Assert.Null(await new UserRepository(postgres.Database).FindAsync("someone-else"));
        Assert.NotNull(await new UserRepository(postgres.Database).FindAsync("kim"));

        await new NodeRegistry(postgres.Database, TimeProvider.System)
            .RegisterAsync(new NodeIdentity("node-b", "http://b", "1", Migrations.Latest, "i"));
        var running = await Assert.ThrowsAsync<DatabaseMoveRefused>(() => move.RunAsync(replace: true, CancellationToken.None));
        Assert.Contains("node(s) node-b are running against PostgreSQL", running.Message);
    }
}
