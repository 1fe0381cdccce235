package webchat

import (
	"context"
	"fmt"

	"github.com/atende/atende/internal/channel"
	"github.com/atende/atende/internal/conversation"
)

// Adapter is the relay's adapter for website chat channels. Atende is its
// own provider here: an agent's reply is "sent" once it is committed and the
// outbox reaches it, from when every widget of the visitor shows it (the
// message.status event pushes it to open sockets; later ones find it in
// their snapshot). "delivered" and "read" come from the widget.
type Adapter struct{}

// Send marks the message as available to the visitor.
func (Adapter) Send(_ context.Context, m channel.Outbound) (string, error) {
	if m.Channel.Kind != Kind {
		return "", channel.Permanent(fmt.Errorf("channel %d is %q, not a website chat", m.Channel.ID, m.Channel.Kind))
	}
	if m.Message.Direction != conversation.Out {
		return "", channel.Permanent(fmt.Errorf("message %d is not outbound", m.MessageID))
	}
	return fmt.Sprintf("webchat-%d", m.MessageID), nil
}
