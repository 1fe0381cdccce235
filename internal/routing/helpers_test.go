package routing_test

import (
	"fmt"
	"sync/atomic"

	"github.com/atende/atende/internal/channel"
	"github.com/atende/atende/internal/contact"
)

var phones atomic.Int64

// phoneN returns a new Brazilian mobile number each call.
func phoneN() string { return fmt.Sprintf("+55119%08d", 10000000+phones.Add(1)) }

func visitorMessage(ch int64, visitor, id string) channel.Inbound {
	return channel.Inbound{ChannelID: ch, ProviderMessageID: id, From: contact.Identity{Kind: contact.KindVisitor, Value: visitor}, Kind: "text", Body: "olá"}
}
