import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { vi } from "vitest";
import type { CloseReason } from "./api";
import { CloseDialog, closeErrors, type CloseRules } from "./CloseDialog";

const reasons: CloseReason[] = [
  { id: 1, name: "Dúvida", department_id: null, active: true },
  { id: 2, name: "Venda", department_id: 5, active: true },
  { id: 3, name: "Outro serviço", department_id: 6, active: true },
  { id: 4, name: "Antigo", department_id: null, active: false },
];

function setup(rules: CloseRules) {
  const onClose = vi.fn();
  render(<CloseDialog departmentId={5} reasons={reasons} rules={rules} onClose={onClose} onCancel={vi.fn()} />);
  const submit = () => fireEvent.click(screen.getByRole("button", { name: "Close" }));
  return { onClose, submit };
}

test("offers the active reasons of the department and of every department", () => {
  setup({ reasonRequired: false, protocolRequired: false });
  const names = screen.getAllByRole("option").map((o) => o.textContent);
  expect(names).toEqual(["Choose a reason", "Dúvida", "Venda"]);
});

test("with nothing required, it closes as is", async () => {
  const { onClose, submit } = setup({ reasonRequired: false, protocolRequired: false });
  submit();
  await waitFor(() => expect(onClose).toHaveBeenCalledWith({}));
});

test("a required reason needs the reason and resolved-or-not", async () => {
  const { onClose, submit } = setup({ reasonRequired: true, protocolRequired: false });
  submit();
  expect(screen.getByText("Close reason is required.")).toBeTruthy();
  expect(screen.getByText("Resolved? is required.")).toBeTruthy();
  expect(onClose).not.toHaveBeenCalled();
  fireEvent.change(screen.getByRole("combobox"), { target: { value: "2" } });
  submit();
  expect(screen.queryByText("Close reason is required.")).toBeNull();
  expect(onClose).not.toHaveBeenCalled();
  fireEvent.click(screen.getByRole("radio", { name: "No" }));
  submit();
  await waitFor(() => expect(onClose).toHaveBeenCalledWith({ close_reason_id: 2, resolved: false }));
});

test("a required external protocol is asked for, up to 13 characters", async () => {
  const { onClose, submit } = setup({ reasonRequired: false, protocolRequired: true });
  submit();
  expect(screen.getByText("External protocol is required.")).toBeTruthy();
  expect(screen.queryByText("Close reason is required.")).toBeNull();
  const input = screen.getByRole("textbox", { name: /External protocol/ }) as HTMLInputElement;
  expect(input.maxLength).toBe(13);
  fireEvent.change(input, { target: { value: " EXT-42 " } });
  submit();
  await waitFor(() => expect(onClose).toHaveBeenCalledWith({ external_protocol: "EXT-42" }));
});

test("everything required at once", async () => {
  const { onClose, submit } = setup({ reasonRequired: true, protocolRequired: true });
  submit();
  expect(document.querySelectorAll(".field-error")).toHaveLength(3);
  fireEvent.change(screen.getByRole("combobox"), { target: { value: "1" } });
  fireEvent.click(screen.getByRole("radio", { name: "Yes" }));
  fireEvent.change(screen.getByRole("textbox", { name: /External protocol/ }), { target: { value: "A1" } });
  submit();
  await waitFor(() => expect(onClose).toHaveBeenCalledWith({ close_reason_id: 1, resolved: true, external_protocol: "A1" }));
});

test("the rules alone", () => {
  const none = { reasonId: null, resolved: null, protocol: "" };
  expect(closeErrors({ reasonRequired: false, protocolRequired: false }, none)).toEqual({});
  expect(Object.keys(closeErrors({ reasonRequired: true, protocolRequired: true }, none)).sort()).toEqual(["protocol", "reason", "resolved"]);
  expect(closeErrors({ reasonRequired: false, protocolRequired: false }, { ...none, protocol: "12345678901234" }).protocol).toBe("At most 13 characters.");
  expect(closeErrors({ reasonRequired: true, protocolRequired: false }, { reasonId: 1, resolved: false, protocol: "" })).toEqual({});
});
