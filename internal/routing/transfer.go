package routing

import (
	"context"
	"unicode/utf8"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/validate"
)

// MaxTransferNote is the longest note that goes with a transfer.
const MaxTransferNote = 2000

// TransferInput sends a conversation to an agent or to a department's
// queue (exactly one of them), with an optional note kept as an internal
// note.
type TransferInput struct {
	AgentID      int64
	DepartmentID int64
	Note         string
}

// Transfer hands a conversation to another agent (TransferToAgent) or
// another department's queue (TransferToDepartment).
func (e *Engine) Transfer(ctx context.Context, p auth.Principal, conversationID int64, in TransferInput) error {
	if utf8.RuneCountInString(in.Note) > MaxTransferNote {
		return validate.Errorf("note", "must be at most %d characters", MaxTransferNote)
	}
	switch {
	case in.AgentID < 0:
		return validate.Errorf("agent_id", "must be a user id")
	case in.DepartmentID < 0:
		return validate.Errorf("department_id", "must be a department id")
	case in.AgentID != 0 && in.DepartmentID != 0:
		return validate.Errorf("agent_id", "give agent_id or department_id, not both")
	case in.AgentID != 0:
		return e.TransferToAgent(ctx, p, conversationID, in.AgentID, in.Note)
	case in.DepartmentID != 0:
		return e.TransferToDepartment(ctx, p, conversationID, in.DepartmentID, in.Note)
	}
	return validate.Errorf("agent_id", "give agent_id or department_id")
}
