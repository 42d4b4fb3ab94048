/** The users list for every page, and changes to it in admin mode (rules in users/editor.ts). */
import { Router } from "express";
import { z } from "zod";
import type { Studio } from "../../studio.js";
import { USERS_ACTIONS, UsersEditor, type UsersAction } from "../../users/editor.js";
import type { User } from "../../users/parse.js";
import { route } from "../middleware.js";
import { requireAdminMode } from "../session.js";
import { parse, text } from "../validate.js";

const flag = (name: string) => z.boolean({ error: `${name} must be true or false` });

const UsersActionBody = z
  .object({
    action: z.enum(USERS_ACTIONS, {
      error: (issue) => `action ${JSON.stringify(issue.input)} is not one of ${USERS_ACTIONS.join(", ")}`,
    }),
    name: text("name"),
    new_name: text("new_name").optional(),
    is_admin: flag("is_admin").optional(),
  })
  .superRefine((body, ctx) => {
    if (body.action === "rename" && body.new_name === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["new_name"],
        message: "new_name is missing (the name to rename to)",
      });
    if (body.action === "set_admin" && body.is_admin === undefined)
      ctx.addIssue({ code: "custom", path: ["is_admin"], message: "is_admin is missing (true or false)" });
  });

/** The checked body as the editor's change. */
function changeOf(body: z.infer<typeof UsersActionBody>): UsersAction {
  const { name } = body;
  switch (body.action) {
    case "add":
      return { action: "add", name, is_admin: body.is_admin };
    case "remove":
      return { action: "remove", name };
    case "rename":
      return { action: "rename", name, new_name: body.new_name ?? "" };
    case "set_admin":
      return { action: "set_admin", name, is_admin: body.is_admin === true };
  }
}

const shown = (users: readonly User[]) => users.map((user) => ({ name: user.name, is_admin: user.admin }));

export function userRoutes(studio: Studio): Router {
  const router = Router();
  const { users } = studio;
  const editor = new UsersEditor(studio.config.usersFile, users);

  router.get("/users", (_req, res) => {
    res.json({ success: true, users: shown(users.users), warnings: users.warnings });
  });

  router.post(
    "/users_action",
    route(async (req, res) => {
      const body = parse(UsersActionBody, req.body);
      const admin = requireAdminMode(req, users);
      const list = await editor.apply(changeOf(body));
      req.log.info(
        { action: body.action, name: body.name, new_name: body.new_name, by: admin },
        "users changed",
      );
      res.json({ success: true, users: shown(list), warnings: users.warnings });
    }),
  );

  return router;
}
